"""Domain errors. main.py maps them to JSON error responses in one place."""


class DomainError(Exception):
    status_code = 400
    code = "domain_error"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key} not found")


class InvalidTransition(DomainError):
    status_code = 409
    code = "invalid_transition"


class PaymentDeclined(DomainError):
    status_code = 402
    code = "payment_declined"
