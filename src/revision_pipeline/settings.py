"""Kedro project settings (https://docs.kedro.org/en/stable/kedro_project_setup/settings.html)."""

from kedro.config import OmegaConfigLoader

from revision_pipeline.hooks import (
    DiskFullHook,
    InterruptedRunHook,
    RunLockHook,
    TrackingDatabaseHook,
    ValidateConfigHook,
)

HOOKS = (
    TrackingDatabaseHook(),
    ValidateConfigHook(),
    RunLockHook(),
    DiskFullHook(),
    InterruptedRunHook(),
)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # conf/local/parameters_*.yml overrides single keys (deep merge) instead of whole sections
    "merge_strategy": {"parameters": "soft"},
    "config_patterns": {
        "institutions": ["institutions*", "institutions*/**"],
    },
}
