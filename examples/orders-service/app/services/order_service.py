"""Order use cases: placing, querying, status changes and fulfilment."""
import logging
from decimal import Decimal

from app.clients.shipping import ShippingClient
from app.errors import InvalidTransition, NotFound
from app.models import Order, OrderItem, OrderStatus
from app.repositories.order_repository import OrderRepository
from app.schemas import OrderCreate
from app.services import catalog

logger = logging.getLogger(__name__)

ALLOWED_TRANSITIONS = {
    OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: set(),
    OrderStatus.CANCELLED: set(),
}


class OrderService:
    def __init__(self, repo: OrderRepository, shipping: ShippingClient) -> None:
        self.repo = repo
        self.shipping = shipping

    def place_order(self, payload: OrderCreate) -> Order:
        customer = self.repo.get_customer(payload.customer_id)
        if customer is None:
            raise NotFound("customer", payload.customer_id)

        order = Order(customer_id=customer.id, shipping_address=payload.shipping_address)
        total = Decimal("0")
        for line in payload.items:
            price = catalog.unit_price(self.repo.session, line.product_id)
            order.items.append(
                OrderItem(product_id=line.product_id, quantity=line.quantity, unit_price=price)
            )
            total += price * line.quantity
        order.total = total

        self.repo.add(order)
        print(f"order {order.id} placed for customer {customer.id} total={total}")
        logger.info("order placed", extra={"order_id": order.id, "items": len(order.items)})
        return order

    def list_orders(self) -> list[Order]:
        return self.repo.list_all()

    def search(self, term: str) -> list[Order]:
        return self.repo.search_by_address(term)

    def get(self, order_id: int) -> Order:
        order = self.repo.get(order_id)
        if order is None:
            raise NotFound("order", order_id)
        return order

    def change_status(self, order_id: int, new_status: OrderStatus) -> Order:
        order = self.get(order_id)
        if new_status not in ALLOWED_TRANSITIONS[order.status]:
            raise InvalidTransition(f"cannot move order from {order.status.value} to {new_status.value}")
        order.status = new_status
        self.repo.commit()
        return order

    def ship(self, order_id: int) -> Order:
        order = self.get(order_id)
        if order.status is not OrderStatus.PAID:
            raise InvalidTransition("only paid orders can be shipped")
        order.tracking_number = self.shipping.create_shipment(order)
        order.status = OrderStatus.SHIPPED
        self.repo.commit()
        logger.info("order shipped", extra={"order_id": order.id})
        return order

    def tracking(self, order_id: int) -> dict:
        order = self.get(order_id)
        carrier_status = None
        if order.tracking_number:
            carrier_status = self.shipping.tracking_status(order.tracking_number)
        return {
            "order_id": order.id,
            "tracking_number": order.tracking_number,
            "carrier_status": carrier_status,
        }

    def pending_summary(self) -> list[dict]:
        return [
            {"order_id": order.id, "items": count, "created_at": order.created_at}
            for order, count in self.repo.pending_with_item_counts()
        ]
