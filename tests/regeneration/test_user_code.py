"""User code survives regeneration, and everything it can do is type-checked (issue 5, point 2).

The new user's loop from the issue: generate, add a custom method to the user module, change a
column, regenerate, find the custom method still there and `check` green; then prove the
extension points work (hooks, extra DTO fields, custom queries) by running them and by running
`mypy --strict` over the project, including a file that misuses them.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from ._support import BIN, out, run, stats, tree, widen_customer_email

CUSTOM_CUSTOMER = textwrap.dedent(
    '''
    """Customer, as this application wants it."""

    from __future__ import annotations

    import builtins

    import msgspec
    from sqlalchemy import select

    from shop.models import Customer

    from ..dtos.customer import CustomerCreate, CustomerRead, CustomerUpdate
    from ..repositories import customer as repositories
    from ..services import customer as services


    class CustomerSignup(CustomerCreate, kw_only=True, forbid_unknown_fields=True):
        """Sign-up input: a customer plus a choice that is not a column."""

        newsletter: bool = False


    class CustomerEdit(CustomerUpdate, kw_only=True, forbid_unknown_fields=True):
        """Changes plus why they are made: the reason is not a column."""

        reason: str = ""


    class CustomerDetail(CustomerRead, kw_only=True):
        """What the API returns: the row plus a field of its own."""

        newsletter: bool


    class CustomerRepository(repositories.CustomerRepository):
        def by_email_domain(self, domain: str) -> builtins.list[Customer]:
            statement = select(Customer).where(Customer.email.endswith(f"@{domain}"))
            return builtins.list(self.session.scalars(statement.order_by(Customer.email)))


    class AsyncCustomerRepository(repositories.AsyncCustomerRepository):
        pass


    class CustomerService(services.CustomerService):
        repository_class = CustomerRepository
        repository: CustomerRepository
        deleted: builtins.list[object] = []
        reasons: builtins.list[str] = []

        def before_create(self, data: CustomerCreate) -> CustomerCreate:
            return msgspec.structs.replace(data, email=data.email.lower())

        def before_update(self, id: object, data: CustomerUpdate) -> CustomerUpdate:
            if isinstance(data, CustomerEdit):
                self.reasons.append(data.reason)
            if isinstance(data.name, str):
                return msgspec.structs.replace(data, name=data.name.strip())
            return data

        def before_delete(self, id: object) -> None:
            self.deleted.append(id)

        def signup(self, data: CustomerSignup) -> CustomerDetail:
            created = self.create(data)
            return CustomerDetail(**msgspec.structs.asdict(created), newsletter=data.newsletter)

        def emails_at(self, domain: str) -> builtins.list[str]:
            return [customer.email for customer in self.repository.by_email_domain(domain)]


    class AsyncCustomerService(services.AsyncCustomerService):
        repository_class = AsyncCustomerRepository
        repository: AsyncCustomerRepository
    '''
).lstrip()

APP = textwrap.dedent(
    """
    from __future__ import annotations

    from sqlalchemy.orm import Session
    from sublimate_runtime import create_engine

    from shop.db import CustomerRepository, CustomerService, CustomerUpdate
    from shop.db.custom.customer import CustomerDetail, CustomerEdit, CustomerSignup
    from shop.models import Base


    def main() -> None:
        engine = create_engine()
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            service = CustomerService(session)
            detail: CustomerDetail = service.signup(
                CustomerSignup(email="Ann@Example.COM", name="Ann", newsletter=True)
            )
            print("signup", detail.email, detail.newsletter)
            service.signup(CustomerSignup(email="bob@other.org", name="Bob"))
            print("domain", service.emails_at("example.com"))
            renamed = service.update(detail.id, CustomerUpdate(name="  Ann Lee  "))
            print("update", repr(renamed.name))
            edited = service.update(detail.id, CustomerEdit(name="Ann L.", reason="typo"))
            print("edit", repr(edited.name), service.reasons)
            service.delete(detail.id)
            print("deleted", service.deleted == [detail.id], service.count())
            print("repository", type(service.repository) is CustomerRepository)


    main()
    """
).lstrip()

# Misuse that mypy must reject: proof that the user code is type-checked, not just run.
BAD = textwrap.dedent(
    """
    from __future__ import annotations

    from sqlalchemy.orm import Session

    from shop.db import CustomerService
    from shop.db.custom.customer import CustomerDetail


    def misuse(session: Session) -> None:
        service = CustomerService(session)
        service.emails_at(42)
        service.repository.by_email_domain(b"example.com")
        detail = CustomerDetail(id=1, email="a", name="b", created_at=None, newsletter="yes")
        print(detail)
    """
).lstrip()


def test_the_new_user_loop_keeps_custom_code_and_checks_green(project: Path) -> None:
    user_module = out(project) / "custom" / "customer.py"
    assert user_module.exists(), "generate writes a user module per model"
    user_module.write_text(CUSTOM_CUSTOMER, encoding="utf-8")
    (project / "app.py").write_text(APP, encoding="utf-8")

    widen_customer_email(project)
    regenerated = run("generate", cwd=project)
    assert regenerated.returncode == 0, regenerated.stderr
    assert user_module.read_text(encoding="utf-8") == CUSTOM_CUSTOMER
    assert "max_length=400" in (out(project) / "dtos" / "customer.py").read_text()

    checked = run("check", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "shop/db is up to date" in checked.stdout

    ran = subprocess.run(
        [str(BIN / "python"), "app.py"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        "signup ann@example.com True",  # before_create ran; the extra field came through
        "domain ['ann@example.com']",  # the custom query, reached through the service
        "update 'Ann Lee'",  # before_update ran
        "edit 'Ann L.' ['typo']",  # an Update subclass: the hook saw its extra field, not the row
        "deleted True 1",  # before_delete ran, with the key
        "repository True",  # the service built the user's repository
    ]


def test_user_code_is_type_checked_by_mypy_strict(project: Path) -> None:
    (out(project) / "custom" / "customer.py").write_text(CUSTOM_CUSTOMER, encoding="utf-8")
    (project / "app.py").write_text(APP, encoding="utf-8")
    (project / "bad.py").write_text(BAD, encoding="utf-8")
    result = subprocess.run(
        [str(BIN / "mypy"), "--strict", "shop", "app.py", "bad.py"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    # Everything is clean except the misuses, each caught where it is.
    assert all(line.startswith("bad.py:") for line in errors), result.stdout
    assert {int(line.split(":")[1]) for line in errors} == {11, 12, 13}, result.stdout


def test_the_package_exports_the_user_classes(project: Path) -> None:
    probe = (
        "import shop.db as db, shop.db.custom.customer as mine, shop.db.services.customer as gen\n"
        "assert db.CustomerService is mine.CustomerService\n"
        "assert db.AsyncCustomerRepository is mine.AsyncCustomerRepository\n"
        "assert issubclass(db.CustomerService, gen.CustomerService)\n"
        "assert db.CustomerService.repository_class is mine.CustomerRepository\n"
        "assert db.CustomerCreate.__module__ == 'shop.db.dtos.customer'\n"
    )
    result = subprocess.run(
        [str(BIN / "python"), "-c", probe], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_user_modules_are_written_once_and_never_again(project: Path) -> None:
    custom = out(project) / "custom"
    mine = "# mine now\n"
    (custom / "customer.py").write_text(mine, encoding="utf-8")
    (custom / "__init__.py").write_text(mine, encoding="utf-8")
    (custom / "tag.py").unlink()

    forced = run("generate", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert (custom / "customer.py").read_text() == mine
    assert (custom / "__init__.py").read_text() == mine
    assert not (custom / "tag.py").exists(), "a deleted user module stays deleted"
    assert "user module" not in forced.stderr
    extended = run("extend", "Tag", "Customer", cwd=project)
    assert extended.returncode == 0, extended.stderr
    assert (custom / "tag.py").exists(), "`extend` writes a fresh one"
    assert (custom / "customer.py").read_text() == mine  # ... and leaves the user's alone
    assert "1 user module created" in extended.stderr


def test_an_unchanged_regeneration_does_not_even_render_user_modules(project: Path) -> None:
    before = tree(out(project) / "custom")
    again = run("generate", cwd=project)
    assert again.returncode == 0, again.stderr
    rendered, formatted, reused = stats(again.stderr)
    files = json.loads((out(project) / ".sublimate.json").read_text())["files"]
    per_model = [path for path, record in files.items() if record.get("entity")]
    assert formatted == 0
    assert reused == len(per_model) == 18
    # Only the package-level files are rendered: no model file, no user module.
    assert rendered == len(files) - len(per_model)
    assert tree(out(project) / "custom") == before
