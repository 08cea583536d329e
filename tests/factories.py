import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from gallery.models import Photo, PhotoTag, Tag


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class PhotoFactory(factory.django.DjangoModelFactory):
    """A stored photo through the real service (validator, hashing, files); processing is not run."""

    class Meta:
        model = Photo

    owner = factory.SubFactory(UserFactory)
    content = factory.LazyFunction(lambda: __import__("tests.images", fromlist=["jpeg"]).jpeg("chelsea"))
    name = "photo.jpg"

    @classmethod
    def _create(cls, model_class, owner, content, name, **kwargs):
        from gallery.services import photo_create

        return photo_create(owner=owner, file=ContentFile(content, name=name))


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class PhotoTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhotoTag

    photo = factory.SubFactory(PhotoFactory)
    tag = factory.SubFactory(TagFactory)
    source = PhotoTag.Source.USER
