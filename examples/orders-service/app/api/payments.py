"""Payment endpoints."""
import logging
import time

import requests
from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy.orm import Session

from app.config import STRIPE_API_KEY, get_settings
from app.db import get_db
from app.models import Payment
from app.schemas import PaymentCreate, PaymentOut, RefundRequest
from app.services.payment_service import PaymentService

logger = logging.getLogger(__name__)
router = APIRouter()


def get_payment_service(db: Session = Depends(get_db)) -> PaymentService:
    return PaymentService(db)


@router.post("", response_model=PaymentOut, status_code=status.HTTP_201_CREATED)
def create_payment(payload: PaymentCreate, service: PaymentService = Depends(get_payment_service)):
    return service.charge(payload)


@router.get("/{payment_id}", response_model=PaymentOut)
def get_payment(payment_id: int, db: Session = Depends(get_db)):
    payment = db.get(Payment, payment_id)
    if payment is None:
        raise HTTPException(status_code=404, detail="payment not found")
    return payment


@router.post("/{payment_id}/refund", response_model=PaymentOut)
async def refund_payment(payment_id: int, payload: RefundRequest, db: Session = Depends(get_db)):
    payment = db.get(Payment, payment_id)
    if payment is None:
        raise HTTPException(status_code=404, detail="payment not found")
    if payload.amount > payment.amount:
        raise HTTPException(status_code=422, detail="refund exceeds captured amount")

    base_url = get_settings().stripe_api_base
    for attempt in range(3):
        resp = requests.post(
            f"{base_url}/refunds",
            data={"charge": payment.provider_ref, "amount": int(payload.amount * 100)},
            auth=(STRIPE_API_KEY, ""),
            timeout=10,
        )
        if resp.status_code < 500:
            break
        logger.warning("refund attempt failed", extra={"payment_id": payment_id, "attempt": attempt})
        time.sleep(2**attempt)

    if resp.status_code != 200:
        raise HTTPException(status_code=502, detail="refund was not accepted by the provider")
    payment.status = "refunded"
    db.commit()
    db.refresh(payment)
    return payment
