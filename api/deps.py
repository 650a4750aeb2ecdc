"""Dependencies injected into routes (overridable in tests with ``app.dependency_overrides``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from qa.service import QAService
from qa.settings import Settings


def get_service(request: Request) -> QAService:
    service: QAService = request.app.state.service
    return service


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ServiceDep = Annotated[QAService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
