"""Health and the vocabularies, limits and helplines the website needs."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from scrapbook import __version__
from scrapbook.core.deps import SessionDep, SettingsDep
from scrapbook.core.errors import errors
from scrapbook.directory.helplines import site_helplines
from scrapbook.gallery.service import tags_in_use
from scrapbook.media.images import ACCEPTED_TYPES
from scrapbook.meta.schemas import (
    Accepted,
    AcceptedImages,
    AcceptedSound,
    AcceptedVideo,
    Health,
    LicenceOut,
    Limits,
    Meta,
    Named,
    Uploads,
)
from scrapbook.vocabulary import (
    LICENCES,
    NOT_A_CRISIS_SERVICE,
    REGIONS,
    WRITING_PROMPTS,
    Form,
    Kind,
)

router = APIRouter(prefix="/api", tags=["meta"], responses=errors(400))


@router.get("/health")
def health(session: SessionDep) -> Health:
    """Liveness and database reachability."""
    session.execute(text("SELECT 1"))
    return Health(status="ok", version=__version__)


@router.get("/meta")
def meta(session: SessionDep, settings: SettingsDep) -> Meta:
    """Kinds, forms, regions, licences, tags in use, accepted files, limits, prompts, helplines."""
    return Meta(
        kinds=[k.value for k in Kind],
        forms=[f.value for f in Form],
        regions=[Named(code=code, name=name) for code, name in REGIONS.items()],
        licences=[LicenceOut(code=code, **info) for code, info in LICENCES.items()],
        tags=tags_in_use(session),
        accepted=Accepted(
            image=AcceptedImages(
                types=list(ACCEPTED_TYPES),
                max_bytes=settings.image_bytes_max,
                max_pixels=settings.image_pixels_max,
                max_files=settings.images_max,
            ),
            # Recognised from the bytes; these are what phones and browsers usually make.
            audio=AcceptedSound(
                types=["audio/mpeg", "audio/mp4", "audio/aac", "audio/wav", "audio/flac",
                       "audio/ogg", "audio/webm"],
                max_bytes=settings.audio_bytes_max,
                max_seconds=settings.audio_seconds_max,
                max_files=1,
            ),
            video=AcceptedVideo(
                types=["video/mp4", "video/quicktime", "video/webm", "video/3gpp"],
                max_bytes=settings.video_bytes_max,
                max_seconds=settings.video_seconds_max,
                max_long_edge=settings.video_long_edge_max,
                max_short_edge=settings.video_short_edge_max,
                max_fps=settings.video_fps_max,
                max_files=1,
            ),
        ),
        # Resumable uploads (tus 1.0) for sound and video on poor connections.
        uploads=Uploads(tus="/api/uploads/", max_bytes=settings.file_bytes_max),
        limits=Limits(
            title=settings.title_max,
            body=settings.body_max,
            display_name=settings.display_name_max,
            content_warning=settings.content_warning_max,
            alt_text=settings.alt_text_max,
            tags=settings.tags_max,
            tag=settings.tag_max,
            transcript=settings.transcript_max,
        ),
        prompts=WRITING_PROMPTS,
        helplines=site_helplines(session),
        not_a_crisis_service=NOT_A_CRISIS_SERVICE,
    )
