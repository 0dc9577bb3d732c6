"""HTTP client for the ShipFast carrier API."""
import logging

import requests

from app.config import get_settings
from app.models import Order

logger = logging.getLogger(__name__)


class ShippingError(Exception):
    pass


class ShippingClient:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def create_shipment(self, order: Order) -> str:
        payload = {
            "reference": f"order-{order.id}",
            "address": order.shipping_address,
            "parcels": [{"sku": str(item.product_id), "quantity": item.quantity} for item in order.items],
        }
        resp = requests.post(f"{self.base_url}/v2/shipments", json=payload, headers=self._headers)
        if resp.status_code >= 400:
            raise ShippingError(f"carrier rejected shipment: {resp.status_code} {resp.text[:200]}")
        return resp.json()["tracking_number"]

    def tracking_status(self, tracking_number: str) -> str | None:
        try:
            resp = requests.get(
                f"{self.base_url}/v2/tracking/{tracking_number}",
                headers=self._headers,
                timeout=5,
                verify=False,
            )
            return resp.json().get("status")
        except:
            logger.warning("tracking lookup failed", extra={"tracking_number": tracking_number})
            return None


def get_shipping_client() -> ShippingClient:
    settings = get_settings()
    return ShippingClient(settings.shipping_api_url, settings.shipping_api_token)
