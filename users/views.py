from django.views.generic import DetailView

from .models import User


class UserDetailView(DetailView):
    model = User
