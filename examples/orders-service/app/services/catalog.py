"""Product lookups used while pricing an order."""
from decimal import Decimal

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Product

# Prices rarely change; keep them for the life of the worker process.
_price_cache: dict[int, Decimal] = {}


def unit_price(session: Session, product_id: int) -> Decimal:
    if product_id in _price_cache:
        return _price_cache[product_id]
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("product", product_id)
    _price_cache[product_id] = product.unit_price
    return product.unit_price
