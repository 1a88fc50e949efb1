"""NDA stamp: a line of text drawn on every page of a PDF with pypdf, naming the downloader and the date,
so a leaked copy can be traced. Drawn as real text (Helvetica) so it survives printing and text extraction."""

import io

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, NameObject

FONT_SIZE = 7


def _pdf_string(text: str) -> bytes:
    latin = text.encode("latin-1", "replace")
    return b"(" + latin.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _overlay(writer: PdfWriter, width: float, height: float, text: str) -> PageObject:
    page = PageObject.create_blank_page(writer, width=width, height=height)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/FStamp"): writer._add_object(font)})}
    )
    line = _pdf_string(text)
    ops = b"q 0.45 0.05 0.05 rg BT /FStamp %d Tf 1 0 0 1 18 12 Tm %s Tj ET " % (FONT_SIZE, line)
    ops += b"BT /FStamp %d Tf 1 0 0 1 18 %.2f Tm %s Tj ET Q" % (FONT_SIZE, height - 14, line)
    stream = ContentStream(None, writer)
    stream.set_data(ops)
    page.replace_contents(stream)
    return page


def stamp_pdf(data: bytes, text: str) -> bytes:
    """Return `data` with `text` printed at the top and bottom of every page."""
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter()
    overlays: dict[tuple[float, float], PageObject] = {}
    for page in reader.pages:
        box = page.mediabox
        width, height = float(box.width), float(box.height)
        key = (round(width, 2), round(height, 2))
        if key not in overlays:
            overlays[key] = _overlay(writer, width, height, text)
        added = writer.add_page(page)
        added.merge_transformed_page(overlays[key], (1, 0, 0, 1, float(box.left), float(box.bottom)))
    writer.add_metadata({"/Subject": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sample_pdf(lines: list[str], *, pages: int = 1) -> bytes:
    """A small text PDF (demo documents and tests) drawn with the same primitives."""
    writer = PdfWriter()
    for n in range(pages):
        page = PageObject.create_blank_page(writer, width=595, height=842)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
        )
        ops = b"BT /F1 12 Tf 14 TL 1 0 0 1 60 780 Tm "
        for line in [*lines, f"Page {n + 1} of {pages}"]:
            ops += _pdf_string(line) + b" Tj T* "
        ops += b"ET"
        stream = ContentStream(None, writer)
        stream.set_data(ops)
        page.replace_contents(stream)
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
