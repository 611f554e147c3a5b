from typing import Literal

from pydantic import BaseModel


class Review(BaseModel):
    product: str
    sentiment: Literal["positive", "negative", "mixed"]
    reason: str
