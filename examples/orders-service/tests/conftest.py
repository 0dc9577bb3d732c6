from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from app.clients.shipping import get_shipping_client
from app.db import get_db
from app.main import create_app
from app.models import Base, Customer, Product


class FakeShipping:
    def __init__(self) -> None:
        self.created: list[int] = []

    def create_shipment(self, order) -> str:
        self.created.append(order.id)
        return f"SF{order.id:08d}"

    def tracking_status(self, tracking_number: str) -> str:
        return "in_transit"


@pytest.fixture()
def session_factory():
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool, future=True
    )
    Base.metadata.create_all(engine)
    factory = sessionmaker(bind=engine, autoflush=False, future=True)
    with factory() as db:
        db.add(Customer(id=1, email="ada@example.com", name="Ada Lovelace"))
        db.add(Product(id=10, sku="MUG-001", name="Mug", unit_price=Decimal("12.50")))
        db.add(Product(id=11, sku="TEE-002", name="T-shirt", unit_price=Decimal("20.00")))
        db.commit()
    yield factory
    engine.dispose()


@pytest.fixture()
def shipping() -> FakeShipping:
    return FakeShipping()


@pytest.fixture()
def client(session_factory, shipping):
    app = create_app()

    def override_db():
        with session_factory() as db:
            yield db

    app.dependency_overrides[get_db] = override_db
    app.dependency_overrides[get_shipping_client] = lambda: shipping
    with TestClient(app) as test_client:
        yield test_client
