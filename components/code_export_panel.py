"""The extraction on screen as code that runs as printed: instructor, the openai SDK, curl.

``st.code`` blocks carry a copy button. The code is made by ``iterplay.code_export`` from the
request Extract would send, so it extracts the same thing; it reads the key from
``OPENAI_API_KEY`` and never holds one.
"""

from __future__ import annotations

import streamlit as st

from components.inert_text import inert
from components.provider_settings import ProviderChoice
from iterplay.code_export import (
    CodeFormat,
    destination_of,
    embedded_destination,
    export_code,
    unnamed_destination,
)
from iterplay.errors import ProviderError
from iterplay.provider import provider_settings_hidden
from iterplay.request import ExtractionRequest
from iterplay.schema import LoadedSchema


def code_export_panel(
    schema: LoadedSchema | None, request: ExtractionRequest, choice: ProviderChoice
) -> None:
    if schema is None:
        return
    if choice.embedded or choice.endpoint is None:
        destination = embedded_destination()
    elif provider_settings_hidden():  # the server's provider is not to be shown, even its URL
        destination = unnamed_destination()
    else:
        destination = destination_of(choice.endpoint)
    with st.expander("💻 Code: this extraction as a program"):
        st.caption(
            "Runs as printed, with what Extract would send. The key comes from `OPENAI_API_KEY` "
            "and the server from `OPENAI_BASE_URL` when it runs; no key is ever written in it."
        )
        tabs = st.tabs([code_format.label for code_format in CodeFormat])
        for tab, code_format in zip(tabs, CodeFormat, strict=True):
            with tab:
                try:
                    code = export_code(code_format, schema, request, destination)
                except ProviderError as error:  # a request this provider cannot take
                    st.caption(inert(error))
                else:
                    st.code(code, language=code_format.language)
