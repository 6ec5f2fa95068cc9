# territoires — one command to set up and run the demo, one to set up and run the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= sortie-demo

.PHONY: demo test install lint bench notebooks clean

$(BIN)/territoires: pyproject.toml
	@echo "Installation de l'environnement Python dans $(VENV) : 2 à 4 minutes la première fois, rien ensuite."
	@echo "  1/3 création de l'environnement virtuel…"
	@$(PYTHON) -m venv $(VENV)
	@echo "  2/3 mise à jour de pip…"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "  3/3 installation de territoires et de ses bibliothèques (geopandas, scipy, folium, matplotlib…)…"
	@$(BIN)/python -m pip install --quiet -e ".[dev]"
	@echo "Environnement prêt."
	@touch $@

install: $(BIN)/territoires

demo: install
	@echo "Diagnostic du territoire de démonstration (environ 15 s), résultats dans $(OUT)/ :"
	$(BIN)/territoires demo --out $(OUT)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: install
	$(BIN)/python bench/run_all.py

notebooks: install
	@echo "Installation de JupyterLab (extra « notebooks »)…"
	$(BIN)/python -m pip install --quiet -e ".[notebooks]"
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
