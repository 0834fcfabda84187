"""Every model has a factory, and every factory makes a valid row."""

import pytest
from django.apps import apps

from tests import factories

FACTORIES = {
    name.removesuffix("Factory"): getattr(factories, name)
    for name in dir(factories)
    if name.endswith("Factory") and name not in {"UserFactory"}
}


def test_every_model_of_our_apps_has_a_factory():
    models = {
        model.__name__
        for app in ("content", "quizzes", "courses")
        for model in apps.get_app_config(app).get_models()
    }
    assert models <= set(FACTORIES)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_each_factory_makes_a_valid_row(name):
    obj = FACTORIES[name]()
    obj.full_clean()
    assert type(obj).objects.filter(pk=obj.pk).exists()
