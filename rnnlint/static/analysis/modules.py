"""Imports: a module name becomes a reference (`torch.nn`) or, for a file of the linted tree,
its top-level values, read once per run through the loader (never imported or run)."""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

from ..semantics.names import canonical
from ..values import TOP, Env, NamespaceV, RefV, Value
from .frame import Frame
from .source import ModuleInfo, code_of


MAX_MODULES = 8  # imported files of the linted tree read for one file


class ModulesMixin:
    """How the `Interpreter` reads modules and their imports."""

    def exec_module(self, info: ModuleInfo) -> Env:
        env = Env()
        self.module_envs[info.path] = env
        previous, self.current = self.here(), info
        frame = Frame()
        try:
            for i, stmt in enumerate(info.module.body):
                self.top = i
                if not self.exec_stmt(stmt, env, frame):
                    break
        finally:
            self.current, self.top, self.line = previous
        return env

    def exec_import(self, node: Union[cst.Import, cst.ImportFrom], env: Env) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = code_of(alias.name)
                if alias.asname is not None:
                    env.vars[code_of(alias.asname.name)] = self.module_value(full, 0)
                else:
                    top = full.split(".")[0]
                    env.vars[top] = self.module_value(top, 0)
            return
        module = code_of(node.module) if node.module is not None else ""
        level = len(node.relative)
        if isinstance(node.names, cst.ImportStar):
            loaded = self.load_module_env(module, level)
            if loaded is not None:
                env.vars.update({k: v for k, v in loaded.vars.items() if not k.startswith("_")})
            return
        loaded = self.load_module_env(module, level) if (level or not module.startswith("torch")) else None
        for alias in node.names:
            name = code_of(alias.name)
            local = code_of(alias.asname.name) if alias.asname is not None else name
            if loaded is not None and name in loaded.vars:
                env.vars[local] = loaded.vars[name]
            elif level == 0:
                env.vars[local] = RefV(canonical(f"{module}.{name}"))
            else:
                sub = self.load_module_env(f"{module}.{name}" if module else name, level)
                env.vars[local] = TOP if sub is None else NamespaceV(dict(sub.vars))

    def module_value(self, name: str, level: int) -> Value:
        if name.split(".")[0] in ("torch", "argparse", "dataclasses", "math", "numpy", "np"):
            return RefV(name)
        loaded = self.load_module_env(name, level)
        return NamespaceV(dict(loaded.vars)) if loaded is not None else RefV(name)

    def load_module_env(self, name: str, level: int) -> Optional[Env]:
        """The environment of a module of the linted tree (relative or sibling imports only)."""
        if self.loader is None or len(self.stack) > 2 or len(self.modules) > MAX_MODULES:
            return None
        info = self.loader(self.current.path, name, level)
        if info is None:
            return None
        if info.path in self.module_envs:
            return self.module_envs[info.path]
        self.modules.append(info)
        self.module_envs[info.path] = Env()
        return self.exec_module(info)
