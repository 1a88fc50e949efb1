"""gzip for the text responses that the public page cache does not serve (signed-in pages, staff pages, JSON).

Django's GZipMiddleware is used rather than a Brotli/zstd middleware because of BREACH: a compressed response
that reflects attacker-chosen input next to a secret (the CSRF token, a signing link) can leak the secret
through its length. Django masks the CSRF token differently in every response, and its GZipMiddleware adds up to
100 random bytes to every gzip body ("Heal The Breach"), which defeats the length measurement; a plain Brotli or
zstd middleware does neither. The public cached pages, which carry no secret, are compressed once with Brotli
and gzip by `portal.core.page_cache` instead.

Only text is compressed (HTML, JSON, CSV, XML/Atom, JavaScript): PDFs, images and archives are compressed
already, and compressing a streamed file download would only cost CPU."""

from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE_TYPES = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/vnd.oai.openapi",
    "application/atom+xml",
    "application/xml",
    "application/javascript",
)


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(COMPRESSIBLE_TYPES):
            return response
        return super().process_response(request, response)
