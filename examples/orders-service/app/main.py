"""Application factory: wires logging, middleware, error handlers and routers."""
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from app.api import orders, payments
from app.config import get_settings
from app.errors import DomainError
from app.logging_config import configure_logging


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)

    app = FastAPI(
        title="Orders Service",
        version="1.4.0",
        description="Order capture, payment and fulfilment.",
    )

    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )

    @app.exception_handler(DomainError)
    async def domain_error_handler(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"error": {"code": exc.code, "message": str(exc)}},
        )

    app.include_router(orders.router, prefix="/orders", tags=["orders"])
    app.include_router(payments.router, prefix="/payments", tags=["payments"])
    return app


app = create_app()
