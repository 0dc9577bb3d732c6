"""Card payments through Stripe's charges API."""
import logging
from decimal import Decimal

import requests
from sqlalchemy.orm import Session

from app.config import STRIPE_API_KEY, get_settings
from app.errors import InvalidTransition, NotFound, PaymentDeclined
from app.models import Order, OrderStatus, Payment
from app.schemas import PaymentCreate
from app.tasks import send_receipt

logger = logging.getLogger(__name__)


class PaymentService:
    def __init__(self, db: Session) -> None:
        self.db = db
        self.base_url = get_settings().stripe_api_base

    def charge(self, payload: PaymentCreate) -> Payment:
        order = self.db.get(Order, payload.order_id)
        if order is None:
            raise NotFound("order", payload.order_id)
        if order.status is not OrderStatus.PENDING:
            raise InvalidTransition("order is not awaiting payment")

        logger.info("charging card %s for order %s", payload.card_number, order.id)
        resp = requests.post(
            f"{self.base_url}/charges",
            data={
                "amount": int(Decimal(order.total) * 100),
                "currency": payload.currency.lower(),
                "card[number]": payload.card_number,
                "card[exp_month]": payload.exp_month,
                "card[exp_year]": payload.exp_year,
                "card[cvc]": payload.cvc,
                "metadata[order_id]": order.id,
            },
            auth=(STRIPE_API_KEY, ""),
            timeout=10,
        )
        body = resp.json()
        if resp.status_code != 200 or body.get("status") != "succeeded":
            raise PaymentDeclined(body.get("error", {}).get("message", "card declined"))

        payment = Payment(
            order_id=order.id,
            amount=order.total,
            currency=payload.currency,
            status="captured",
            provider_ref=body["id"],
            card_last4=payload.card_number[-4:],
        )
        order.status = OrderStatus.PAID
        self.db.add(payment)
        self.db.commit()
        self.db.refresh(payment)

        try:
            send_receipt.delay(payment.id)
        except Exception:
            pass
        return payment
