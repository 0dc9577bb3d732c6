"""Request and response models (the API contract)."""
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field, conint, constr

from app.models import OrderStatus


class OrderItemIn(BaseModel):
    product_id: int
    quantity: conint(gt=0, le=100)


class OrderCreate(BaseModel):
    customer_id: int
    shipping_address: constr(min_length=5, max_length=500)
    items: list[OrderItemIn] = Field(..., min_items=1, max_items=50)


class OrderStatusUpdate(BaseModel):
    status: OrderStatus


class OrderItemOut(BaseModel):
    product_id: int
    quantity: int
    unit_price: Decimal

    class Config:
        orm_mode = True


class OrderOut(BaseModel):
    id: int
    customer_id: int
    status: OrderStatus
    total: Decimal
    shipping_address: str
    tracking_number: str | None = None
    created_at: datetime
    items: list[OrderItemOut] = []

    class Config:
        orm_mode = True


class PaymentCreate(BaseModel):
    order_id: int
    card_number: constr(regex=r"^\d{13,19}$")
    exp_month: conint(ge=1, le=12)
    exp_year: conint(ge=2024, le=2100)
    cvc: constr(regex=r"^\d{3,4}$")
    currency: constr(min_length=3, max_length=3) = "USD"


class RefundRequest(BaseModel):
    amount: Decimal = Field(..., gt=0)
    reason: str | None = Field(None, max_length=200)


class PaymentOut(BaseModel):
    id: int
    order_id: int
    amount: Decimal
    currency: str
    status: str
    card_last4: str | None = None
    created_at: datetime

    class Config:
        orm_mode = True


class TrackingOut(BaseModel):
    order_id: int
    tracking_number: str | None
    carrier_status: str | None
