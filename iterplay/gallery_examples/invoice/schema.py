from pydantic import BaseModel, Field


class LineItem(BaseModel):
    """One line of an invoice."""

    description: str
    quantity: int = Field(ge=1)
    unit_price: float = Field(ge=0, description="price of one unit, in euros")
