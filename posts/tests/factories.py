import factory

from posts.models import Post
from users.tests.factories import UserFactory


class PostFactory(factory.django.DjangoModelFactory):
    title = factory.Faker("sentence", nb_words=6)
    content = factory.Faker("paragraph")
    author = factory.SubFactory(UserFactory)
    status = Post.Status.PUBLISHED

    class Meta:
        model = Post


class DraftPostFactory(PostFactory):
    status = Post.Status.DRAFT


class ArchivedPostFactory(PostFactory):
    status = Post.Status.ARCHIVED
