"""Staff API of trust documents: list (retired ones too), upload, edit, replace the file, retire.

The same services as the console's document pages (portal/trust/documents.py), so uploads are checked the same
way (a readable, unencrypted PDF within TRUST_DOCUMENT_MAX_MB; a bad file is a 400 on `file`) and the same audit
events are written.
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from portal.core.api_staff import StaffAPIView, StaffGenericAPIView
from portal.core.idempotency import idempotent
from portal.core.serializers import PortalModelSerializer, PortalSerializer, TextField
from portal.trust.api_staff import console_url, validated_query
from portal.trust.documents import document_create, document_replace, document_retire, document_update
from portal.trust.filters import DocumentFilter
from portal.trust.models import AccessLevel, TrustDocument, TrustDocumentVersion
from portal.trust.selectors import staff_documents

VIEW_DOCUMENTS = "trust.view_trustdocument"
ADD_DOCUMENTS = "trust.add_trustdocument"
CHANGE_DOCUMENTS = "trust.change_trustdocument"
PDF_EXAMPLE = "(the PDF file, as multipart/form-data)"


@extend_schema_field(OpenApiTypes.BINARY)
class PdfFileField(serializers.FileField):
    """An uploaded file part (the schema's `format: binary`); the service checks that it is a PDF."""


class DocumentVersionSerializer(PortalModelSerializer):
    """One uploaded file of a document."""

    uploaded_by = serializers.EmailField(source="uploaded_by.email", read_only=True, allow_null=True)
    uploaded_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = TrustDocumentVersion
        fields = ("version", "filename", "size", "sha256", "published_on", "uploaded_at", "uploaded_by")
        read_only_fields = fields


class StaffDocumentSerializer(PortalModelSerializer):
    """A trust document with its current file, as legal staff see it (retired ones too)."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    state = serializers.SerializerMethodField(help_text="listed, or retired (no longer listed or downloadable).")
    current_version = DocumentVersionSerializer(read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()
    console_url = serializers.SerializerMethodField()

    class Meta:
        model = TrustDocument
        fields = (
            "id",
            "title",
            "description",
            "category",
            "access_level",
            "state",
            "retired_at",
            "current_version",
            "created_at",
            "updated_at",
            "download_url",
            "console_url",
        )
        read_only_fields = fields

    def get_state(self, doc) -> str:
        return "retired" if doc.retired_at else "listed"

    def get_download_url(self, doc) -> str:
        return console_url("trust:document_file", doc.public_id)

    def get_console_url(self, doc) -> str:
        return console_url("trust:staff_document_detail", doc.public_id)


class StaffDocumentDetailSerializer(StaffDocumentSerializer):
    """A trust document with every version of its file."""

    versions = DocumentVersionSerializer(many=True, read_only=True, help_text="Every uploaded file, newest first.")

    class Meta(StaffDocumentSerializer.Meta):
        fields = (*StaffDocumentSerializer.Meta.fields, "versions")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]


class DocumentQuerySerializer(PortalSerializer):
    """The console's document filters."""

    q = serializers.CharField(required=False, max_length=200, help_text="Title contains.")
    category = serializers.ChoiceField(choices=TrustDocument.Category.choices, required=False)
    access_level = serializers.ChoiceField(choices=AccessLevel.choices, required=False)
    state = serializers.ChoiceField(choices=[("listed", "Listed"), ("retired", "Retired")], required=False)


class DocumentCreateSerializer(PortalSerializer):
    """A new document and its first file (multipart/form-data)."""

    title = serializers.CharField(max_length=200)
    description = TextField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=TrustDocument.Category.choices)
    access_level = serializers.ChoiceField(choices=AccessLevel.choices, help_text="Who may open it.")
    file = PdfFileField(help_text="A PDF (readable, not password-protected), at most TRUST_DOCUMENT_MAX_MB.")
    version = serializers.CharField(max_length=40, default="1.0")
    published_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Default: today.")


class DocumentReplaceSerializer(PortalSerializer):
    """A new version of the document's file (multipart/form-data)."""

    file = PdfFileField(help_text="The new PDF; earlier versions are kept.")
    version = serializers.CharField(max_length=40, help_text="A version this document does not have yet.")
    published_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Default: today.")


class DocumentUpdateSerializer(PortalSerializer):
    """The document's details; only the fields sent change."""

    title = serializers.CharField(max_length=200, required=False)
    description = TextField(required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=TrustDocument.Category.choices, required=False)
    access_level = serializers.ChoiceField(choices=AccessLevel.choices, required=False)


def _document(public_id) -> TrustDocument:
    versions = TrustDocumentVersion.objects.select_related("uploaded_by").order_by("-created_at", "-id")
    return get_object_or_404(
        TrustDocument.objects.select_related("current_version__uploaded_by").prefetch_related(
            Prefetch("versions", queryset=versions)
        ),
        public_id=public_id,
    )


def _detail(doc: TrustDocument) -> dict:
    return StaffDocumentDetailSerializer(_document(doc.public_id)).data


class StaffDocumentList(StaffGenericAPIView, generics.ListAPIView):
    serializer_class = StaffDocumentSerializer
    staff_permissions = {"GET": VIEW_DOCUMENTS, "POST": ADD_DOCUMENTS}
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = staff_documents().select_related("current_version__uploaded_by")
        return DocumentFilter(self._filters, queryset=queryset).qs

    def list(self, request, *args, **kwargs):
        self._filters = validated_query(DocumentQuerySerializer, request)
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[DocumentQuerySerializer])
    def get(self, request, *args, **kwargs):
        """Every trust document, retired ones too (listed first, then by category and title), with its current
        file."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": DocumentCreateSerializer},
        responses={201: StaffDocumentDetailSerializer},
        examples=[
            OpenApiExample(
                "Upload a penetration-test summary for NDA holders",
                value={
                    "title": "Penetration test summary 2026",
                    "category": "pentest",
                    "access_level": "nda",
                    "version": "2026.1",
                    "file": PDF_EXAMPLE,
                },
                request_only=True,
            )
        ],
    )
    @idempotent
    def post(self, request):
        """Upload a new document (multipart/form-data). It is listed at once at its access level; the file must be a
        readable PDF within the size limit (otherwise 400 on `file`)."""
        data = DocumentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        doc = document_create(
            title=d["title"],
            description=d["description"],
            category=d["category"],
            access_level=d["access_level"],
            upload=d["file"],
            version=d["version"],
            published_on=d["published_on"],
            actor=request.user,
            request=request,
        )
        return Response(_detail(doc), status=status.HTTP_201_CREATED)


class StaffDocumentDetail(StaffAPIView):
    parser_classes = [JSONParser]  # a form body would read an empty choice as "not sent"
    staff_permissions = {"GET": VIEW_DOCUMENTS, "PATCH": CHANGE_DOCUMENTS}

    @extend_schema(responses=StaffDocumentDetailSerializer)
    def get(self, request, public_id):
        """One document with every version of its file."""
        return Response(StaffDocumentDetailSerializer(_document(public_id)).data)

    @extend_schema(
        request=DocumentUpdateSerializer,
        responses=StaffDocumentDetailSerializer,
        examples=[OpenApiExample("Restrict to NDA holders", value={"access_level": "nda"}, request_only=True)],
    )
    def patch(self, request, public_id):
        """Change the title, description, category or access level (the console's edit form); a changed access
        level applies to the next download."""
        doc = _document(public_id)
        data = DocumentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document_update(document=doc, data=data.validated_data, actor=request.user, request=request)
        return Response(_detail(doc))


class StaffDocumentReplace(StaffAPIView):
    staff_permissions = {"POST": CHANGE_DOCUMENTS}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": DocumentReplaceSerializer},
        responses=StaffDocumentDetailSerializer,
        examples=[OpenApiExample("A new version", value={"version": "2026.2", "file": PDF_EXAMPLE}, request_only=True)],
    )
    @idempotent
    def post(self, request, public_id):
        """Upload a new version of the file (multipart/form-data); it becomes current, earlier versions are kept. Not
        for a retired document."""
        doc = _document(public_id)
        data = DocumentReplaceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        document_replace(
            document=doc,
            upload=d["file"],
            version=d["version"],
            published_on=d["published_on"],
            actor=request.user,
            request=request,
        )
        return Response(_detail(doc))


class StaffDocumentRetire(StaffAPIView):
    parser_classes = [JSONParser]
    staff_permissions = {"POST": CHANGE_DOCUMENTS}

    @extend_schema(request=None, responses=StaffDocumentDetailSerializer)
    @idempotent
    def post(self, request, public_id):
        """Retire a document: no longer listed or downloadable (its files are kept). Retiring a retired document
        changes nothing."""
        doc = _document(public_id)
        document_retire(document=doc, actor=request.user, request=request)
        return Response(_detail(doc))
