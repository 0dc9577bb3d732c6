from unittest import mock


def _place_order(client) -> int:
    resp = client.post(
        "/orders",
        json={
            "customer_id": 1,
            "shipping_address": "12 Analytical Row, London",
            "items": [{"product_id": 10, "quantity": 1}],
        },
    )
    return resp.json()["id"]


def _card(order_id: int) -> dict:
    return {
        "order_id": order_id,
        "card_number": "4242424242424242",
        "exp_month": 12,
        "exp_year": 2030,
        "cvc": "123",
    }


def test_successful_charge_marks_order_paid(client):
    order_id = _place_order(client)
    gateway = mock.Mock(status_code=200)
    gateway.json.return_value = {"id": "ch_test_1", "status": "succeeded"}

    with mock.patch("app.services.payment_service.requests.post", return_value=gateway), \
            mock.patch("app.services.payment_service.send_receipt"):
        resp = client.post("/payments", json=_card(order_id))

    assert resp.status_code == 201
    assert resp.json()["card_last4"] == "4242"
    assert client.get(f"/orders/{order_id}").json()["status"] == "paid"


def test_declined_charge_returns_402(client):
    order_id = _place_order(client)
    gateway = mock.Mock(status_code=402)
    gateway.json.return_value = {"error": {"message": "Your card was declined."}}

    with mock.patch("app.services.payment_service.requests.post", return_value=gateway):
        resp = client.post("/payments", json=_card(order_id))

    assert resp.status_code == 402
    assert resp.json()["error"]["code"] == "payment_declined"
