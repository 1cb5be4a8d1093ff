"""Load nlu_data/ with Rasa's own reader, inside the Rasa venv.

Run by bench/rasa_compare.py with the Rasa interpreter. Prints one JSON line
so the caller can show what Rasa accepted without importing Rasa itself.
Schema errors (YamlValidationException) propagate with Rasa's exact message.
"""

import json
import sys
import warnings


def main(nlu_dir: str) -> int:
    from rasa.shared.nlu.training_data.loading import load_data

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_data(nlu_dir)
        data.validate()
    intents = {}
    for example in data.intent_examples:
        name = example.get("intent")
        intents[name] = intents.get(name, 0) + 1
    print(
        json.dumps(
            {
                "examples": len(data.intent_examples),
                "intents": intents,
                "entities": sorted(data.entities),
                "synonyms": len(data.entity_synonyms),
                "regex_features": len(data.regex_features),
                "lookup_tables": len(data.lookup_tables),
                # Rasa's data warnings are UserWarnings; drop library deprecation noise.
                "warnings": sorted(
                    {str(w.message) for w in caught if w.category is UserWarning}
                ),
            },
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
