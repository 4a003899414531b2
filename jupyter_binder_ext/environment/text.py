"""The Environment answers as text, for ``jupyter binder environment`` and ``%binder``."""

from __future__ import annotations

from jupyter_binder_ext.environment.answers import EnvironmentAnswer, InstalledPackage, KeepAnswer


def describe_environment(data: EnvironmentAnswer) -> str:
    build = data["build"]
    lines = [data["message"], ""]
    if build["available"]:
        folder = f"{build['config_dir']}/" if build["config_dir"] else "the repository's root"
        lines.append(f"Next build: {build['name']} (repo2docker {build['repo2docker_version']})")
        lines.append(f"  reads files in {folder}; Python {build['python'] or 'not set'}")
        lines.append("  uses: " + (", ".join(build["files_used"]) or "nothing (defaults)"))
        for ignored in build["files_ignored"]:
            lines.append(f"  ignores {ignored['path']}: {ignored['why']}")
    lines.append("")
    lines.append(f"Installed since this server started ({data['since']}):")
    if not data["installed"]:
        lines.append("  nothing")
    for package in data["installed"]:
        lines.append("  " + _package_line(package))
    for gone in data["removed"]:
        lines.append(f"  removed: {gone['name']} {gone['version']} ({gone['manager']})")
    if data["checks"]:
        lines.append("")
        lines.append("Checks:")
    for item in data["checks"]:
        where = item["file"] + (f":{item['line']}" if item["line"] else "")
        lines.append(f"  {item['level']}: {where}: {item['message']}")
    dockerfile = build.get("dockerfile")
    if dockerfile:
        lines += ["", "Dockerfile repo2docker would render:", dockerfile]
    return "\n".join(lines).strip()


def _package_line(package: InstalledPackage) -> str:
    text = f"{package['name']} {package['version']} ({package['manager']}, {package['source']})"
    request = package["in_files"]
    if request:
        return f"{text}: in {request['file']}:{request['line']} as {request['spec']}"
    if not package["keepable"]:
        return f"{text}: cannot be kept: {package['why_not']}"
    return f"{text}: not in your environment files (keep it: jupyter binder environment keep NAME)"


def describe_keep(data: KeepAnswer) -> str:
    lines = [data["message"]]
    if data["diff"]:
        lines += ["", data["diff"].rstrip()]
    return "\n".join(lines)
