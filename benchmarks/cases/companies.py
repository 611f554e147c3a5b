from pydantic import BaseModel


class Address(BaseModel):
    city: str
    country: str


class Company(BaseModel):
    name: str
    address: Address
