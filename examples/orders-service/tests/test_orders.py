def _order_payload(**overrides):
    payload = {
        "customer_id": 1,
        "shipping_address": "12 Analytical Row, London",
        "items": [{"product_id": 10, "quantity": 2}, {"product_id": 11, "quantity": 1}],
    }
    payload.update(overrides)
    return payload


def test_create_order_prices_items(client):
    resp = client.post("/orders", json=_order_payload())

    assert resp.status_code == 201
    body = resp.json()
    assert body["status"] == "pending"
    assert body["total"] == 45.0
    assert len(body["items"]) == 2


def test_create_order_rejects_empty_items(client):
    resp = client.post("/orders", json=_order_payload(items=[]))

    assert resp.status_code == 422


def test_unknown_order_returns_structured_404(client):
    resp = client.get("/orders/9999")

    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_cannot_ship_unpaid_order(client, shipping):
    order_id = client.post("/orders", json=_order_payload()).json()["id"]

    resp = client.post(f"/orders/{order_id}/ship")

    assert resp.status_code == 409
    assert shipping.created == []
