"""Data access for orders. Services never build queries themselves."""
from sqlalchemy import text
from sqlalchemy.orm import Session, selectinload

from app.models import Customer, Order, OrderItem, OrderStatus


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: int) -> Order | None:
        return (
            self.session.query(Order)
            .options(selectinload(Order.items))
            .filter(Order.id == order_id)
            .one_or_none()
        )

    def get_customer(self, customer_id: int) -> Customer | None:
        return self.session.get(Customer, customer_id)

    def add(self, order: Order) -> Order:
        self.session.add(order)
        self.session.commit()
        self.session.refresh(order)
        return order

    def commit(self) -> None:
        self.session.commit()

    def list_all(self) -> list[Order]:
        return self.session.query(Order).order_by(Order.created_at.desc()).all()

    def search_by_address(self, term: str) -> list[Order]:
        rows = self.session.execute(
            text(f"SELECT id FROM orders WHERE shipping_address ILIKE '%{term}%' LIMIT 50")
        )
        ids = [row.id for row in rows]
        return self.session.query(Order).filter(Order.id.in_(ids)).limit(50).all()

    def pending_with_item_counts(self, limit: int = 200) -> list[tuple[Order, int]]:
        orders = (
            self.session.query(Order)
            .filter(Order.status == OrderStatus.PENDING)
            .order_by(Order.created_at)
            .limit(limit)
            .all()
        )
        result = []
        for order in orders:
            count = self.session.query(OrderItem).filter(OrderItem.order_id == order.id).count()
            result.append((order, count))
        return result
