"""``iterplay code``: the extraction ``extract`` would run, printed as a program.

Same inputs and defaults as ``extract`` (target choice, mode, model), without running anything:
for the embedded model it is not started, and the program expects ``iterplay serve-model``.
"""

from __future__ import annotations

import argparse

from iterplay.cli import EXIT_COMPLETE, EXIT_ERROR, JsonLines, _load_wrapper, input_error_record
from iterplay.cli import read_input as read_text
from iterplay.code_export import (
    CodeFormat,
    Destination,
    destination_of,
    embedded_destination,
    export_code,
)
from iterplay.errors import IterplayError
from iterplay.limits import limits
from iterplay.provider import configured_endpoint
from iterplay.request import ExtractionRequest
from iterplay.run_settings import default_mode


def run_code(args: argparse.Namespace, output: JsonLines) -> int:
    try:
        schema, wrapper = _load_wrapper(args.schema, args.target)
        text = read_text(args.text, limits().text_bytes, "text")
        destination, model = _destination(args)
        request = ExtractionRequest(
            wrapper=wrapper,
            text=text,
            model=model,
            mode=args.mode or default_mode(destination.quirks),
            temperature=args.temperature,
            max_tokens=args.max_tokens,
        )
        code = export_code(CodeFormat(args.format), schema, request, destination)
    except (OSError, IterplayError) as error:
        output.write(input_error_record(error, args.schema))
        return EXIT_ERROR
    output.text(code)
    return EXIT_COMPLETE


def _destination(args: argparse.Namespace) -> tuple[Destination, str]:
    """Where the program sends its request by default, and the model it asks for: the provider
    ``extract`` would use (the embedded model answers to its alias whatever --model says)."""
    endpoint = configured_endpoint(args.base_url, args.api_key, args.model)
    if endpoint is not None:
        return destination_of(endpoint), endpoint.model
    from iterplay.local_model import MODEL_ALIAS

    return embedded_destination(), MODEL_ALIAS
