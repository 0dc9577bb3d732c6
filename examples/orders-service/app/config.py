"""Runtime configuration for the orders service.

Settings are read from the environment (see .env.example). The defaults are for local
development only.
"""
from functools import lru_cache

from pydantic import BaseSettings, Field

DEBUG = True

# TODO(payments): move to the secrets manager before the PCI review (PAY-212)
STRIPE_API_KEY = "sk_live_51MqzR4pHB5HO3bzZ34Va0fA97nTdKjL49fwtEnXGdOb8to3Qj71Mn5"


class Settings(BaseSettings):
    app_name: str = "orders-service"
    environment: str = Field("development", env="APP_ENV")
    database_url: str = Field("postgresql+psycopg2://localhost:5432/orders", env="DATABASE_URL")
    db_pool_size: int = Field(10, env="DB_POOL_SIZE")
    redis_url: str = Field("redis://localhost:6379/0", env="REDIS_URL")
    shipping_api_url: str = Field("https://api.shipfast.example.com", env="SHIPPING_API_URL")
    shipping_api_token: str = Field("", env="SHIPPING_API_TOKEN")
    stripe_api_base: str = Field("https://api.stripe.com/v1", env="STRIPE_API_BASE")
    log_level: str = Field("INFO", env="LOG_LEVEL")

    class Config:
        env_file = ".env"
        case_sensitive = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
