"""Streamlit entry point: page config and navigation over pages/.

``streamlit run app.py`` finds the ``st.App`` below, imports this file to build it (the
``else`` branch) and serves it: Streamlit's routes plus iterplay's live card channel
(``components/live_cards.py``). Every page run then runs this file as ``__main__``.
"""

import streamlit as st

if __name__ == "__main__":
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
else:
    from components.live_cards import live_routes

    app = st.App(__file__, routes=live_routes())
