from pydantic import BaseModel


class Person(BaseModel):
    name: str
    role: str


class Product(BaseModel):
    product_name: str
    price: float
