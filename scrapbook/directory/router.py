"""Directory HTTP APIs: Open Referral UK under /openreferral, the website's /api/services, admin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from scrapbook.contributions.limits import count_report
from scrapbook.core.deps import SessionDep, SettingsDep
from scrapbook.core.errors import ErrorCode, InvalidInput, errors
from scrapbook.core.paging import page_limit
from scrapbook.directory import admin, oruk, service
from scrapbook.directory import schemas as s
from scrapbook.moderation.auth import AdminDep
from scrapbook.vocabulary import AREAS

oruk_router = APIRouter(
    prefix="/openreferral", tags=["open referral uk"], responses=errors(400, 404, 422)
)
public_router = APIRouter(
    prefix="/api/services", tags=["directory"], responses=errors(400, 404, 413, 422, 429)
)
admin_router = APIRouter(
    prefix="/api/admin/directory", tags=["directory admin"],
    responses=errors(400, 401, 403, 404, 409, 413, 422),
)

Page = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=service.PER_PAGE_MAX, description="Results per page.")]
Text = Annotated[str | None, Query(max_length=200)]
IdParam = Annotated[str | None, Query(max_length=64)]


def _filters(
    search: str | None,
    text: str | None,
    taxonomy_term_id: str | None,
    taxonomy_id: str | None,
    organization_id: str | None,
    modified_after: str | None,
) -> service.ServiceFilters:
    return service.ServiceFilters(
        search=search or text,
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        organization_id=organization_id,
        modified_after=service.parse_modified_after(modified_after),
    )


# ---- Open Referral UK ----------------------------------------------------------------------


@oruk_router.get("/", response_model=s.ApiInfo)
def api_info() -> s.ApiInfo:
    """Which ORUK version and profile this API speaks."""
    return s.ApiInfo(
        version=oruk.ORUK_VERSION, profile=oruk.PROFILE_URL, openapi_url=oruk.OPENAPI_URL
    )


@oruk_router.get("/services", response_model=s.Page[Any], response_model_exclude_none=True)
def oruk_services(
    session: SessionDep,
    search: Text = None,
    text: Annotated[str | None, Query(max_length=200, description="Alias of search.")] = None,
    taxonomy_term_id: IdParam = None,
    taxonomy_id: IdParam = None,
    organization_id: IdParam = None,
    modified_after: Annotated[str | None, Query(max_length=40)] = None,
    page: Page = 1,
    per_page: PerPage = service.PER_PAGE_DEFAULT,
    minimal: bool = False,
    full: bool = False,
) -> s.Page[Any]:
    """Services by name; filter by text, taxonomy term, taxonomy, organisation, change date."""
    if minimal and full:
        raise InvalidInput("Ask for minimal or full, not both.",
            code=ErrorCode.invalid_mode, field="full")
    return service.list_services(
        session,
        _filters(search, text, taxonomy_term_id, taxonomy_id, organization_id, modified_after),
        service.Paging(page, per_page),
        mode="minimal" if minimal else "full" if full else "list",
    )


@oruk_router.get(
    "/services/{service_id}", response_model=s.ServiceFull, response_model_exclude_none=True
)
def oruk_service(service_id: str, session: SessionDep) -> s.ServiceFull:
    """One service, fully nested."""
    return service.get_service(session, service_id)


@oruk_router.get(
    "/taxonomies", response_model=s.Page[s.TaxonomyOut], response_model_exclude_none=True
)
def oruk_taxonomies(
    session: SessionDep, page: Page = 1, per_page: PerPage = service.PER_PAGE_DEFAULT
) -> s.Page[Any]:
    """Taxonomies used to categorise services."""
    return service.list_taxonomies(session, service.Paging(page, per_page))


@oruk_router.get(
    "/taxonomies/{taxonomy_id}", response_model=s.TaxonomyOut, response_model_exclude_none=True
)
def oruk_taxonomy(taxonomy_id: str, session: SessionDep) -> s.TaxonomyOut:
    """One taxonomy with its terms."""
    return service.get_taxonomy(session, taxonomy_id)


@oruk_router.get(
    "/taxonomy_terms", response_model=s.Page[s.TaxonomyTermOut], response_model_exclude_none=True
)
def oruk_taxonomy_terms(
    session: SessionDep,
    taxonomy_id: IdParam = None,
    search: Text = None,
    page: Page = 1,
    per_page: PerPage = service.PER_PAGE_DEFAULT,
) -> s.Page[Any]:
    """Taxonomy terms by name; filter by taxonomy or text."""
    return service.list_terms(
        session, service.Paging(page, per_page), taxonomy_id=taxonomy_id, search=search
    )


@oruk_router.get(
    "/taxonomy_terms/{term_id}", response_model=s.TaxonomyTermOut, response_model_exclude_none=True
)
def oruk_taxonomy_term(term_id: str, session: SessionDep) -> s.TaxonomyTermOut:
    """One taxonomy term."""
    return service.get_term(session, term_id)


@oruk_router.get(
    "/service_at_locations",
    response_model=s.Page[s.ServiceAtLocationListItem],
    response_model_exclude_none=True,
)
def oruk_service_at_locations(
    session: SessionDep,
    search: Text = None,
    text: Annotated[str | None, Query(max_length=200, description="Alias of search.")] = None,
    taxonomy_term_id: IdParam = None,
    taxonomy_id: IdParam = None,
    organization_id: IdParam = None,
    modified_after: Annotated[str | None, Query(max_length=40)] = None,
    postcode: Annotated[str | None, Query(max_length=10)] = None,
    proximity: Annotated[
        float | None, Query(gt=0, le=2_000_000, description="Metres from the point.")
    ] = None,
    latitude: Annotated[float | None, Query(ge=-90, le=90, description="Extension.")] = None,
    longitude: Annotated[float | None, Query(ge=-180, le=180, description="Extension.")] = None,
    page: Page = 1,
    per_page: PerPage = service.PER_PAGE_DEFAULT,
) -> s.Page[Any]:
    """Services at their locations; with latitude/longitude, nearest first within proximity."""
    if postcode:
        service.refuse_postcode(postcode)
    if (latitude is None) != (longitude is None):
        raise InvalidInput("Give both latitude and longitude.",
            code=ErrorCode.invalid_point, field="latitude")
    point = None if latitude is None or longitude is None else (latitude, longitude)
    if proximity is not None and point is None:
        raise InvalidInput(
            "proximity needs a point: give latitude and longitude.",
            code=ErrorCode.invalid_point, field="latitude"
        )
    return service.list_service_at_locations(
        session,
        _filters(search, text, taxonomy_term_id, taxonomy_id, organization_id, modified_after),
        service.Paging(page, per_page),
        point=point,
        proximity_m=proximity,
    )


@oruk_router.get(
    "/service_at_locations/{sal_id}",
    response_model=s.ServiceAtLocationDetail,
    response_model_exclude_none=True,
)
def oruk_service_at_location(sal_id: str, session: SessionDep) -> s.ServiceAtLocationDetail:
    """One service at one location, fully nested."""
    return service.get_service_at_location(session, sal_id)


# ---- the website ---------------------------------------------------------------------------


@public_router.get("", response_model=s.ServicesPage)
def services(
    session: SessionDep,
    limit: Annotated[int, Depends(page_limit(service.PUBLIC_LIMIT_DEFAULT))],
    region: Annotated[str | None, Query(max_length=48)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    q: Text = None,
    near: Annotated[str | None, Query(max_length=60, description="lat,lon")] = None,
    postcode: Annotated[str | None, Query(max_length=10)] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> s.ServicesPage:
    """Support services for the website: by area, category and text, or nearest first."""
    if region and region not in AREAS:
        raise InvalidInput(f"Unknown area '{region[:48]}'.",
            code=ErrorCode.unknown_region, field="region")
    if postcode:
        service.refuse_postcode(postcode)
    return service.search_public(
        session,
        region=region,
        category=category,
        q=q,
        near=service.parse_point(near) if near else None,
        cursor=cursor,
        limit=limit,
    )


@public_router.get("/categories", response_model=list[s.Category])
def categories(session: SessionDep) -> list[s.Category]:
    """The categories services are filed under, for the support page's filters."""
    return service.categories(session)


@public_router.get("/{service_id}", response_model=s.ServicePublic)
def service_detail(service_id: str, session: SessionDep) -> s.ServicePublic:
    """One active service, as the website shows it."""
    return service.get_public(session, service_id)


@public_router.post("/{service_id}/report", status_code=202, response_model=s.ReportReceived)
def report_out_of_date(
    service_id: str, body: s.ReportInput, session: SessionDep, settings: SettingsDep,
    request: Request,
) -> s.ReportReceived:
    """Tell us a service's details are out of date; an administrator will check them."""
    count_report(request)
    return admin.report_out_of_date(session, settings, service_id, body)


# ---- admin ---------------------------------------------------------------------------------


@admin_router.post(
    "/organizations",
    status_code=201,
    response_model=s.OrganizationOut,
    response_model_exclude_none=True,
)
def create_organization(
    body: s.OrganizationCreate, session: SessionDep, moderator: AdminDep
) -> s.OrganizationOut:
    """Add an organisation."""
    return admin.create_organization(session, moderator, body)


@admin_router.patch(
    "/organizations/{organization_id}",
    response_model=s.OrganizationOut,
    response_model_exclude_none=True,
)
def edit_organization(
    organization_id: str, body: s.OrganizationUpdate, session: SessionDep, moderator: AdminDep
) -> s.OrganizationOut:
    """Change an organisation's details."""
    return admin.update_organization(session, moderator, organization_id, body)


@admin_router.post(
    "/organizations/{organization_id}/retire",
    response_model=s.OrganizationOut,
    response_model_exclude_none=True,
)
def retire_organization(
    organization_id: str, body: s.RetireInput, session: SessionDep, moderator: AdminDep
) -> s.OrganizationOut:
    """Retire an organisation: every one of its services stops being listed."""
    return admin.retire_organization(session, moderator, organization_id, body)


@admin_router.post(
    "/services", status_code=201, response_model=s.ServiceFull, response_model_exclude_none=True
)
def create_service(
    body: s.ServiceCreate, session: SessionDep, moderator: AdminDep
) -> s.ServiceFull:
    """Add a service to an organisation."""
    return admin.create_service(session, moderator, body)


@admin_router.patch(
    "/services/{service_id}", response_model=s.ServiceFull, response_model_exclude_none=True
)
def edit_service(
    service_id: str, body: s.ServiceUpdate, session: SessionDep, moderator: AdminDep
) -> s.ServiceFull:
    """Change a service; lists given (phones, categories, areas, locations) replace the old."""
    return admin.update_service(session, moderator, service_id, body)


@admin_router.post(
    "/services/{service_id}/review", response_model=s.ServiceFull, response_model_exclude_none=True
)
def review_service(
    service_id: str, body: s.ReviewInput, session: SessionDep, moderator: AdminDep
) -> s.ServiceFull:
    """Record that a service's details were checked against their source today."""
    return admin.review_service(session, moderator, service_id, body)


@admin_router.post(
    "/services/{service_id}/retire", response_model=s.ServiceFull, response_model_exclude_none=True
)
def retire_service(
    service_id: str, body: s.RetireInput, session: SessionDep, moderator: AdminDep
) -> s.ServiceFull:
    """Stop listing a service (defunct or inactive); it stays in the ORUK feed with its status."""
    return admin.retire_service(session, moderator, service_id, body)


router = APIRouter()
for _sub in (oruk_router, public_router, admin_router):
    router.include_router(_sub)
