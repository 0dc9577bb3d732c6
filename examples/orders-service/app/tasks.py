"""Background jobs (Celery on Redis)."""
import logging

from celery import Celery

from app.config import get_settings
from app.db import SessionLocal
from app.models import Payment

logger = logging.getLogger(__name__)
settings = get_settings()

celery_app = Celery("orders", broker=settings.redis_url, backend=settings.redis_url)
celery_app.conf.update(task_acks_late=True, task_time_limit=60, worker_prefetch_multiplier=1)


@celery_app.task(
    bind=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
)
def send_receipt(self, payment_id: int) -> None:
    with SessionLocal() as db:
        payment = db.get(Payment, payment_id)
        if payment is None:
            logger.warning("receipt skipped, payment missing", extra={"payment_id": payment_id})
            return
        customer = payment.order.customer
        logger.info(
            "receipt queued",
            extra={"payment_id": payment.id, "order_id": payment.order_id, "customer_id": customer.id},
        )
