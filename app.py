"""Streamlit entry point: page config and navigation over pages/."""

import streamlit as st

from components.playground_state import note_page_shown
from components.process_memory import freeze_long_lived_objects

st.set_page_config(page_title="iterplay", page_icon="🧩", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/playground.py", title="Playground", icon="🧩", default=True),
        st.Page("pages/gallery.py", title="Gallery", icon="🖼️"),
        st.Page("pages/history.py", title="History", icon="🗂️"),
        st.Page("pages/compare.py", title="Compare", icon="⚖️"),
        st.Page("pages/how_it_works.py", title="How it works", icon="📖"),
    ]
)
note_page_shown(navigation.title)
navigation.run()
freeze_long_lived_objects()
