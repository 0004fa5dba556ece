"""Pins each public package's ``__all__`` (issue #9 §3).

A change to a public name must be made here too, on purpose.
"""

from __future__ import annotations

import importlib

import pytest

EXPORTED: dict[str, frozenset[str]] = {
    "seawatch": frozenset(
        {
            "DecodeError",
            "Decoded",
            "FilterError",
            "GeoError",
            "NotFoundError",
            "ParameterError",
            "QueryTimeoutError",
            "SeawatchError",
            "SourceError",
            "Store",
            "StoreError",
            "__version__",
            "brief",
            "open_store",
            "read_nmea",
            "read_nmea_all",
            "run_detectors",
            "to_geopandas",
            "to_pandas",
            "to_polars",
        }
    ),
    "seawatch.ais": frozenset(
        {
            "Decoded",
            "NAV_STATUS",
            "NmeaDecoder",
            "SHIP_GROUPS",
            "country_name",
            "decode_bytes",
            "flag_of_mmsi",
            "flags_of",
            "mid_of_mmsi",
            "nav_status_text",
            "read_nmea",
            "read_nmea_all",
            "ship_group",
            "ship_groups_of",
        }
    ),
    "seawatch.api": frozenset(
        {
            "Data",
            "EventFilter",
            "check_token",
            "create_app",
            "error_body",
            "is_loopback",
            "open_data",
        }
    ),
    "seawatch.claims": frozenset(
        {
            "Claim",
            "EVENT_TYPES_OF_KIND",
            "Extraction",
            "Gazetteer",
            "KINDS",
            "MAX_TEXT_BYTES",
            "Place",
            "QUALIFIERS",
            "Source",
            "Span",
            "VERDICTS",
            "VESSEL_TYPES",
            "Vessel",
            "add_claims",
            "asam_markdown",
            "check_claim",
            "check_claims",
            "check_text",
            "claim_from_dict",
            "claims_for",
            "evaluate_asam",
            "extract_claims",
            "gazetteer",
            "get_claim",
            "list_checks",
            "list_claims",
            "parse_claims_document",
            "read_claims_file",
            "read_text",
            "save_checks",
            "store_gazetteer",
        }
    ),
    "seawatch.detect": frozenset(
        {
            "BundledGeo",
            "COVERAGE",
            "DarkParams",
            "Detector",
            "EVENT_TYPES",
            "EncounterParams",
            "FakeGeo",
            "FakePort",
            "GapParams",
            "GeoContext",
            "INCIDENT_KINDS",
            "IdentityParams",
            "InterceptionParams",
            "KERNELS",
            "LoiteringParams",
            "PRESETS",
            "PairSearch",
            "PairSpec",
            "PairStream",
            "PortVisitParams",
            "REGISTRY",
            "RunInputs",
            "SpoofingParams",
            "WatchlistParams",
            "ZoneParams",
            "build_events",
            "coverage_grid",
            "coverage_sql",
            "details_json",
            "detector_types",
            "event_id",
            "fill_region",
            "finish_events",
            "gaps",
            "incident_ids",
            "link_incidents",
            "loitering",
            "pair_search",
            "pair_slot_params",
            "params_dict",
            "port_visits",
            "preset_params",
            "resolve_geo",
            "resolve_only",
            "uses_coverage",
            "zone_events",
        }
    ),
    "seawatch.engine": frozenset(
        {
            "DETECTORS",
            "EVENT_TYPES",
            "EngineStats",
            "EventStore",
            "PRESETS",
            "dark_step",
            "detector_types",
            "plan_buckets",
            "preset_params",
            "resolve_only",
            "run_detectors",
            "spark_reader",
            "vessel_lengths",
        }
    ),
    "seawatch.geo": frozenset(
        {
            "BundledGeo",
            "FakeGeo",
            "FakePort",
            "GeoContext",
            "KINDS",
            "REGION_NAMES",
            "Zone",
            "ZoneSet",
            "distance_to_shore_m",
            "hav_m",
            "haversine_m",
            "land_geometry",
            "load_zone_file",
            "nearest_port",
            "on_land",
            "ports",
            "region_geometries",
            "region_of",
            "resolve_geo",
            "zones",
            "zones_from_geojson",
            "zones_geojson",
        }
    ),
    "seawatch.pipeline": frozenset(
        {
            "ScenarioInput",
            "detectors_for",
            "evaluate_window",
            "ingest_scenario",
            "run_dark_suite",
            "run_degraded",
            "run_suite",
        }
    ),
    "seawatch.report": frozenset(
        {
            "BY",
            "Brief",
            "By",
            "ENGAGEMENT_TYPES",
            "EventFilter",
            "ROLE_GROUPS",
            "Vocabulary",
            "as_records",
            "brief",
            "candidate_detections",
            "check_country",
            "choose",
            "engagement_counts",
            "engagement_summary",
            "filter_events",
            "incidents",
            "legend",
            "report",
            "split_csv",
            "store_vocabulary",
            "summarize",
            "vocabulary",
        }
    ),
    "seawatch.sim": frozenset(
        {
            "DARK_PRESETS",
            "DarkEvaluation",
            "DarkScore",
            "DarkSuiteResult",
            "DegradeMode",
            "DegradeResult",
            "Detection",
            "Evaluation",
            "IDENTITY_FIELDS",
            "INPUT_FORMATS",
            "Identity",
            "IdentityChange",
            "KEEP_BELOW",
            "LEVELS",
            "Leg",
            "MODES",
            "Match",
            "MatchParams",
            "NOAA_COLUMNS",
            "Noise",
            "PassesResult",
            "Payloads",
            "SatellitePass",
            "Scenario",
            "SensorParams",
            "Silence",
            "SimulationResult",
            "Spoof",
            "State",
            "SuiteResult",
            "TRUE_POSITIONS",
            "Track",
            "Truth",
            "TruthEvent",
            "TypeScore",
            "Vessel",
            "auto_passes",
            "combine",
            "combine_dark",
            "dark_scenario_names",
            "dark_section",
            "degrade_nmea",
            "encode_type18",
            "encode_type24a",
            "encode_type24b",
            "encode_type5",
            "encode_types123",
            "evaluate",
            "load_scenario",
            "load_truth",
            "merge_kept",
            "overlap_ratio",
            "parse_scenario",
            "render_degrade_markdown",
            "render_markdown",
            "replace_degrade_section",
            "satellite_passes",
            "scenario_names",
            "score_dark",
            "sentences",
            "simulate",
            "trajectories",
            "vessel_tracks",
        }
    ),
    "seawatch.sources": frozenset(
        {
            "Batch",
            "CANONICAL_FIELDS",
            "DEFAULT_CHUNK_BYTES",
            "DETECTION_FORMATS",
            "DMA_NAV_STATUS",
            "DMA_SHIP_TYPE",
            "DetectionRead",
            "FORMATS",
            "Format",
            "SourceBatch",
            "StaticsDeduper",
            "decode_stream",
            "detect_format",
            "expand_paths",
            "file_reject",
            "open_binary",
            "open_checked",
            "open_counted",
            "parse_column_map",
            "read_csv",
            "read_detections",
            "read_source",
            "scene_time",
            "sniff_compression",
            "sniff_format",
            "truncate_raw_column",
        }
    ),
    "seawatch.store": frozenset(
        {
            "DEDUP_KEYS",
            "DetectionFileResult",
            "DetectionSummary",
            "FileResult",
            "IngestOptions",
            "IngestProgress",
            "IngestSummary",
            "MANIFEST",
            "RoleList",
            "Store",
            "VESSELS_SQL",
            "VIEW_NAMES",
            "add_role_list",
            "check_read_only",
            "open_store",
            "parse_memory_limit",
            "remove_empty_store",
            "role_lists",
            "time_limit",
            "write_json_atomic",
        }
    ),
    "seawatch.tracks": frozenset(
        {
            "CleanParams",
            "LandMask",
            "ResampleParams",
            "SLOTS",
            "SegmentParams",
            "clean",
            "haversine_m",
            "prepare",
            "resample",
            "segment",
        }
    ),
    "seawatch.watchlist": frozenset(
        {
            "BUNDLED_NAME",
            "ENTRIES",
            "HITS",
            "ScreenParams",
            "Watchlist",
            "add_list",
            "all_lists",
            "bundled_lists",
            "load_csv",
            "normalize_name",
            "screen",
            "store_lists",
            "valid_imo",
            "vessel_status",
        }
    ),
    "seawatch.web": frozenset(
        {
            "STATIC_DIR",
        }
    ),
}


@pytest.mark.parametrize("package", sorted(EXPORTED))
def test_all_is_pinned(package: str) -> None:
    module = importlib.import_module(package)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{package} has no __all__"
    assert len(exported) == len(set(exported)), f"{package}.__all__ repeats a name"
    assert set(exported) == EXPORTED[package]


@pytest.mark.parametrize("package", sorted(EXPORTED))
def test_every_exported_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{package}.__all__ names missing attributes: {missing}"


def test_every_public_package_is_pinned() -> None:
    import pkgutil

    import seawatch

    public = {
        info.name
        for info in pkgutil.walk_packages(seawatch.__path__, "seawatch.")
        if info.ispkg and not any(p.startswith("_") for p in info.name.split("."))
    }
    # seawatch.cli is the typer entry point and exports no Python API; seawatch.pipeline
    # is a public module (not a package), pinned above as well.
    assert public - {"seawatch.cli"} == set(EXPORTED) - {"seawatch", "seawatch.pipeline"}
