"""Order endpoints."""
from fastapi import APIRouter, Depends, status
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.clients.shipping import ShippingClient, get_shipping_client
from app.db import get_db
from app.repositories.order_repository import OrderRepository
from app.schemas import OrderCreate, OrderOut, OrderStatusUpdate, TrackingOut
from app.services.order_service import OrderService

router = APIRouter()


def get_order_service(
    db: Session = Depends(get_db),
    shipping: ShippingClient = Depends(get_shipping_client),
) -> OrderService:
    return OrderService(OrderRepository(db), shipping)


@router.post("", response_model=OrderOut, status_code=status.HTTP_201_CREATED)
def create_order(payload: OrderCreate, service: OrderService = Depends(get_order_service)):
    return service.place_order(payload)


@router.get("", response_model=list[OrderOut])
def list_orders(service: OrderService = Depends(get_order_service)):
    return service.list_orders()


@router.get("/search", response_model=list[OrderOut])
def search_orders(q: str, service: OrderService = Depends(get_order_service)):
    return service.search(q)


@router.get("/pending-summary")
def pending_summary(service: OrderService = Depends(get_order_service)):
    return service.pending_summary()


@router.get("/stats/daily")
def daily_stats(days: int = 30, db: Session = Depends(get_db)):
    rows = db.execute(
        text(
            "SELECT date(created_at) AS day, status, count(*) AS orders, sum(total) AS revenue "
            "FROM orders WHERE created_at >= now() - make_interval(days => :days) "
            "GROUP BY date(created_at), status ORDER BY day DESC"
        ),
        {"days": days},
    )
    return [dict(row) for row in rows.mappings()]


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: int, service: OrderService = Depends(get_order_service)):
    return service.get(order_id)


@router.patch("/{order_id}/status", response_model=OrderOut)
def update_status(
    order_id: int,
    payload: OrderStatusUpdate,
    service: OrderService = Depends(get_order_service),
):
    return service.change_status(order_id, payload.status)


@router.post("/{order_id}/ship", response_model=OrderOut)
def ship_order(order_id: int, service: OrderService = Depends(get_order_service)):
    return service.ship(order_id)


@router.get("/{order_id}/tracking", response_model=TrackingOut)
def order_tracking(order_id: int, service: OrderService = Depends(get_order_service)):
    return service.tracking(order_id)
