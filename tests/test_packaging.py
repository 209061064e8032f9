"""What the installed distribution promises: entry points and shipped data files."""

from importlib import import_module
from importlib.metadata import entry_points
from importlib.resources import files


def test_pytest_plugin_is_registered_and_importable():
    (ep,) = [ep for ep in entry_points(group="pytest11") if ep.name == "visionkit"]
    module = import_module(ep.value)
    assert hasattr(module, "vision_cassette")


def test_console_script_points_at_the_cli():
    (ep,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "visionkit"]
    assert ep.value == "visionkit.cli:main"


def test_typed_marker_and_cassette_schema_ship_with_the_package():
    root = files("visionkit")
    assert root.joinpath("py.typed").is_file()
    assert root.joinpath("testing", "cassette.schema.json").is_file()
