"""Order lookups against the inventory service (end-to-end fixture for the VS Code client)."""

import requests

INVENTORY_URL = "http://inventory.internal/items"


def fetch_stock(item_id):
    try:
        response = requests.get(f"{INVENTORY_URL}/{item_id}")
        return response.json()
    except:
        return None
