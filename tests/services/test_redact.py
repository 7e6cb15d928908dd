"""Redaction: every credential format a customer might paste is masked; ordinary support text is not.

Fake secrets are generated from a seeded RNG in their real formats rather than written out, so the
source holds nothing a secret scanner (or GitHub push protection) would flag.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil_mcp.errors import InputError
from vigil_mcp.services.redact import Finding, contains_secret, redact

_rng = random.Random(7)
ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def fake(alphabet: str, n: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def pem(label: str, lines: int = 6, *, escaped: bool = False, headers: str = "") -> str:
    newline = "\\n" if escaped else "\n"
    body = newline.join(fake(B64, 64) for _ in range(lines)) + newline + fake(B64, 20) + "=="
    return f"-----BEGIN {label}-----{newline}{headers}{body}{newline}-----END {label}-----"


@dataclass(frozen=True)
class Case:
    kind: str
    secret: str
    sentence: str


def case(kind: str, secret: str, template: str) -> Case:
    return Case(kind, secret, template.replace("{s}", secret))


JWT = b64url({"alg": "HS256", "typ": "JWT"}) + "." + b64url({"sub": "1234567890", "iat": 1716239022}) + "."
JWT_RS = b64url({"alg": "RS256", "kid": "k1"}) + "." + b64url({"sub": "svc-billing", "exp": 1893456000}) + "."
TRUNCATED_KEY = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(fake(B64, 64) for _ in range(4))

SECRETS: list[Case] = [
    # AWS
    case(
        "aws-access-key-id",
        "AKIA" + fake(UPPER, 16),
        "I exported AWS_ACCESS_KEY_ID={s} and `aws s3 ls` says AccessDenied",
    ),
    case("aws-access-key-id", "ASIA" + fake(UPPER, 16), "the STS creds we got back were {s} but they expire after 1h"),
    case(
        "aws-secret-access-key",
        fake(B64, 40),
        "my ~/.aws/credentials has\naws_secret_access_key = {s}\nregion=eu-west-1",
    ),
    case("aws-secret-access-key", fake(B64, 40), 'the CLI printed {"AccessKeyId": "x", "SecretAccessKey": "{s}"}'),
    case("aws-session-token", fake(B64, 356), "export AWS_SESSION_TOKEN={s} was in our runner env"),
    # Google Cloud
    case("gcp-api-key", "AIza" + fake(B64URL, 35), "Maps keeps answering REQUEST_DENIED for key {s}, billing is on"),
    case(
        "private-key",
        pem("PRIVATE KEY", escaped=True),
        '{"type": "service_account", "project_id": "acme-prod", "private_key": "{s}\\n", "client_id": "1"}',
    ),
    case("gcp-oauth-client-secret", "GOCSPX-" + fake(B64URL, 28), "oauth client secret is {s} - redirect fails"),
    case("gcp-oauth-token", "ya29." + fake(B64URL, 150), "curl with token {s} gives 401 from googleapis"),
    # Azure
    case(
        "azure-storage-key",
        fake(B64, 86) + "==",
        "DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey={s};EndpointSuffix=core.windows.net",
    ),
    case(
        "azure-shared-access-key",
        fake(B64, 43) + "=",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={s}",
    ),
    case(
        "azure-sas-signature",
        fake(ALNUM, 43) + "%3D",
        "this SAS url 403s: https://acme.blob.core.windows.net/logs/a.log?sv=2022-11-02&sp=r&se=2025-01-01&sig={s}",
    ),
    case(
        "azure-client-secret", fake(ALNUM, 3) + "8Q~" + fake(ALNUM + "_~.-", 34), "app registration secret {s} expired?"
    ),
    # Stripe
    case("stripe-secret-key", "sk_" + "live_" + fake(ALNUM, 99), "our backend uses {s} and charges fail with 402"),
    case("stripe-secret-key", "sk_" + "test_" + fake(ALNUM, 24), "in staging STRIPE_KEY is {s}, is that right?"),
    case("stripe-restricted-key", "rk_" + "live_" + fake(ALNUM, 99), "the restricted key {s} cannot list payouts"),
    case("stripe-restricted-key", "rk_" + "test_" + fake(ALNUM, 24), "tried rk {s} in test mode"),
    case("stripe-webhook-secret", "whsec_" + fake(ALNUM, 32), "signature verification fails, endpoint secret {s}"),
    # GitHub, GitLab
    case("github-token", "ghp_" + fake(ALNUM, 36), "git push fails with 403 using token {s}"),
    case("github-token", "gho_" + fake(ALNUM, 36), "the OAuth app gave us {s}"),
    case("github-token", "ghu_" + fake(ALNUM, 36), "user-to-server token {s} is rejected"),
    case("github-token", "ghs_" + fake(ALNUM, 36), "Actions GITHUB_TOKEN ({s}) can't push tags"),
    case("github-token", "ghr_" + fake(ALNUM, 36), "refresh token {s} returned bad_refresh_token"),
    case("github-token", "github_pat_" + fake(ALNUM, 22) + "_" + fake(ALNUM, 59), "fine-grained PAT {s} gets 404"),
    case("gitlab-token", "glpat-" + fake(B64URL, 20), "CI_JOB uses {s} and clone says HTTP Basic: Access denied"),
    # Slack
    case(
        "slack-token",
        "xoxb-" + fake("0123456789", 12) + "-" + fake("0123456789", 13) + "-" + fake(ALNUM, 24),
        "bot token {s} gets not_in_channel",
    ),
    case(
        "slack-token",
        "xoxp-" + fake("0123456789", 12) + "-" + fake("0123456789", 12) + "-" + fake(HEX, 32),
        "user token {s} lacks chat:write",
    ),
    case("slack-token", "xoxa-2-" + fake("0123456789", 12) + "-" + fake(ALNUM, 30), "legacy app token {s}"),
    case("slack-token", "xoxr-" + fake(ALNUM, 40), "refresh: {s}"),
    case(
        "slack-token",
        "xapp-1-A0" + fake(UPPER, 9) + "-" + fake("0123456789", 13) + "-" + fake(HEX, 64),
        "socket mode app-level token {s} disconnects",
    ),
    case(
        "slack-webhook",
        "T" + fake(UPPER, 8) + "/B" + fake(UPPER, 10) + "/" + fake(ALNUM, 24),
        "alerts posted to https://hooks.slack.com/services/{s} stopped",
    ),
    # JWTs
    case("jwt", JWT + fake(B64URL, 43), "the API rejects this token: {s} (signature invalid)"),
    case("jwt", JWT_RS + fake(B64URL, 342), 'curl -H "Authorization: Bearer {s}" https://api.example.com/v1/me'),
    # Private keys
    case("private-key", pem("RSA PRIVATE KEY", 8), "here is the key we deploy with:\n{s}\nit says bad permissions"),
    case("private-key", pem("EC PRIVATE KEY", 2), "nginx says key values mismatch with\n{s}"),
    case("private-key", pem("OPENSSH PRIVATE KEY", 6), "my id_ed25519 is\n{s}\nand ssh still asks for a password"),
    case("private-key", pem("PGP PRIVATE KEY BLOCK", 5, headers="Version: GnuPG v2\n\n"), "signing key:\n{s}"),
    case("private-key", pem("ENCRYPTED PRIVATE KEY", 5), "openssl can't read\n{s}\nwith our passphrase"),
    case("private-key", TRUNCATED_KEY, "pasting the start of the key: {s}"),
    case("private-key", fake(B64, 120) + "==", "kubeconfig:\n    client-key-data: {s}\n"),
    # Passwords in URLs and labelled values
    case(
        "url-password",
        "s3cr3t-" + fake(ALNUM, 8),
        "DATABASE_URL=postgres://app_user:{s}@db.internal.example.com:5432/app",
    ),
    case("url-password", fake(ALNUM, 16), "mongodb+srv://admin:{s}@cluster0.ab1cd.mongodb.net/?retryWrites=true"),
    case("url-password", "p@ss" + fake(ALNUM, 6), "broker url amqp://guest:{s}@rabbit.internal:5672/ is refused"),
    case("url-password", fake(ALNUM, 12), "REDIS_URL=redis://:{s}@cache.example.net:6379/0"),
    case("password", "Tr0ub4dor&" + fake(ALNUM, 4), "docker run -e MYSQL_ROOT_PASSWORD={s} mysql:8"),
    case("password", "hunter" + fake("0123456789", 3), "config.yaml:\n  db:\n    passwd: {s}\n"),
    case("password", fake(ALNUM, 14), "Server=sql01;Database=app;Uid=sa;Pwd={s};Encrypt=true"),
    case(
        "password", "correct horse " + fake(string.ascii_lowercase, 6), 'login body {"user": "ann", "password": "{s}"}'
    ),
    case("password", "Xk9#" + fake(ALNUM, 6), "my password is {s} and it still says invalid credentials"),
    case("password", fake(ALNUM, 10) + "7", "curl -u admin:{s} https://grafana.example.com/api/health"),
    case("password", "$ecret" + fake(ALNUM, 6), "I set DB_PASS=$ecret... sorry: password={s}"),
    case("password", fake(ALNUM, 12), "settings.xml has <password>{s}</password> for the nexus server"),
    case("secret", fake(ALNUM, 32), "OAuth fails: client_id=web&client_secret={s}&grant_type=client_credentials"),
    case("token", fake(HEX, 40), "the callback https://app.example.com/cb?token={s}&next=/home loops"),
    case("api-key", fake(HEX, 32), "DATADOG api_key={s} returns 403 Forbidden"),
    case("bearer-token", fake(B64URL, 48), "we send Authorization: Bearer {s} and get 401"),
    case(
        "authorization",
        base64.b64encode(b"svc:" + fake(ALNUM, 12).encode()).decode(),
        "header was Authorization: Basic {s}",
    ),
    case(
        "docker-auth",
        base64.b64encode(b"ci:" + fake(ALNUM, 20).encode()).decode(),
        'my ~/.docker/config.json: {"auths": {"registry.example.com": {"auth": "{s}"}}}',
    ),
    case("session-cookie", fake(ALNUM, 32), "Cookie: sessionid={s}; csrftoken=abc"),
    # AI providers and SaaS
    case("npm-token", "npm_" + fake(ALNUM, 36), ".npmrc: //registry.npmjs.org/:_authToken={s}"),
    case("openai-api-key", "sk-proj-" + fake(B64URL, 120), "OPENAI_API_KEY={s} gives 429 insufficient_quota"),
    case("openai-api-key", "sk-" + fake(ALNUM, 48), "old style key {s} stopped working"),
    case("anthropic-api-key", "sk-ant-api03-" + fake(B64URL, 93) + "AA", "we call Claude with {s} and get overloaded"),
    case("sendgrid-api-key", "SG." + fake(B64URL, 22) + "." + fake(B64URL, 43), "SENDGRID key {s} 401s"),
    case("twilio-api-key", "SK" + fake(HEX, 32), "twilio api key sid {s} with our secret fails"),
    case("huggingface-token", "hf_" + fake(ALNUM, 34), "huggingface-cli login --token {s}"),
    case("shopify-token", "shpat_" + fake(HEX, 32), "X-Shopify-Access-Token: {s}"),
    case("mailgun-api-key", "key-" + fake(HEX, 32), "mailgun says Forbidden with {s}"),
    case("mailchimp-api-key", fake(HEX, 32) + "-us14", "mailchimp key {s}"),
    case("vault-token", "hvs." + fake(B64URL, 90), "VAULT_TOKEN is {s} and it says permission denied"),
    case("digitalocean-token", "dop_v1_" + fake(HEX, 64), "doctl auth init with {s} fails"),
    case("docker-token", "dckr_pat_" + fake(B64URL, 27), "docker login -u acme -p {s}"),
    case("databricks-token", "dapi" + fake(HEX, 32), "DATABRICKS_TOKEN={s} gets 403"),
    case("grafana-token", "glsa_" + fake(ALNUM, 32) + "_" + fake(HEX, 8), "grafana service account token {s}"),
    case("pypi-token", "pypi-AgEIcHlwaS5vcmc" + fake(B64URL, 70), "twine upload -p {s} returns 403"),
    case("telegram-bot-token", fake("0123456789", 10) + ":AA" + fake(B64URL, 33), "bot {s} doesn't get updates"),
    case(
        "discord-webhook",
        fake("0123456789", 18) + "/" + fake(B64URL, 68),
        "we post to https://discord.com/api/webhooks/{s}",
    ),
    case("newrelic-api-key", "NRAK-" + fake(UPPER, 27), "NerdGraph rejects {s}"),
    case("age-secret-key", "AGE-SECRET-KEY-1" + fake(UPPER, 58), "sops age key file contains {s}"),
    case("terraform-token", fake(ALNUM, 14) + ".atlasv1." + fake(B64URL, 67), "TFC token {s} unauthorized"),
    case("postman-api-key", "PMAK-" + fake(HEX, 24) + "-" + fake(HEX, 34), "postman key {s}"),
    case("square-token", "sq0atp-" + fake(B64URL, 22), "square access token {s}"),
    case("linear-api-key", "lin_api_" + fake(ALNUM, 40), "LINEAR_API_KEY {s}"),
    case("atlassian-token", "ATATT3xFfGF0" + fake(B64URL, 180), "jira api token {s} returns 401"),
]

PERSONAL: list[Case] = [
    case("email", "jane.doe+billing@example.co.uk", "please reply to {s} instead"),
    case("email", "ops-team@acme-corp.io", "alerts go to {s}"),
    case("ip", "203.0.113.42", "our egress IP is {s}, please allowlist it"),
    case("ip", "10.12.0.7", "the pod at {s}:8080 times out"),
    case("ip", "2001:db8:85a3::8a2e:370:7334", "IPv6 {s} is blocked"),
    case("ip", "fe80::1ff:fe23:4567:890a", "link-local {s}%eth0 answers"),
    case("ip", "2001:0db8:0000:0000:0000:ff00:0042:8329", "full form {s}"),
]

INNOCENT = [
    "Hi, thanks for the quick reply! That fixed it.",
    "We upgraded the cluster to v1.27.3 yesterday and since then pods restart.",
    "apt says libssl3 3.0.2-0ubuntu1.10 is already the newest version.",
    "Kernel is 5.15.0-91-generic on Ubuntu 22.04.3 LTS.",
    "The failing commit is 3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e on main.",
    "Request id 123e4567-e89b-12d3-a456-426614174000 returned 502.",
    "See https://docs.example.com/auth/tokens?lang=en#rotation for the rotation policy.",
    "Our token expired and the refresh flow returned invalid_grant.",
    "Token: expired",
    "Password reset emails are not arriving for some users.",
    "We set max_tokens=800 and temperature=0.2 in the request.",
    "Set bypass=true only for the health check route.",
    "Use token=$GITHUB_TOKEN in the workflow, not a literal value.",
    "In the template we have password=<your password> as a placeholder.",
    "PWD=/home/ubuntu and HOME=/home/ubuntu in the cron environment.",
    "Bearer token authentication is enabled on the gateway.",
    "authorization: required is what the docs say for that endpoint.",
    "The publishable key pk_live_51HqLyjWDarjtT1zdp7dcSample is in the frontend bundle.",
    "git clone git@github.com:acme/infra.git fails with Permission denied (publickey).",
    "npm install @types/node@18.11.9 pins the types.",
    "docker pull nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31 works.",
    "The service listens on 127.0.0.1:8080 and binds 0.0.0.0 in the container.",
    "IPv6 loopback ::1 answers but std::vector code compiles fine.",
    "The job runs at 12:30:45 UTC and the MAC is 00:1a:2b:3c:4d:5e.",
    "Chrome 120.0.6099.109 shows the same error as Firefox 121.0.",
    "python3.11 -m pip install requests==2.31.0 worked.",
    "The SSH key fingerprint is SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s.",
    "The secret is to restart the agent after changing the config.",
    "We rotated the API key yesterday; the new one works in staging.",
    "Error: ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey]",
    "Deploy with helm upgrade --install api ./chart --set image.tag=1.4.2",
    "task-runner-7f9c8d6b5-x2kq4 is in CrashLoopBackOff",
    # seen in the shared dialogues and runbooks
    "Booted kernel 2.6.15.6 from linux-image-2.6.8.1-3-amd64-generic, firmware 'Rev 2.3.1.31'.",
    "debug1: kex: server->client cipher: chacha20-poly1305@openssh.com MAC: <implicit>",
    "chpst -u git:git /opt/gitlab/embedded/bin/ruby runs as the git user",
    "Run token=$(oc sa new-token prometheus-k8s) and echo NEW_PASSWORD=${new_password} after it.",
    "Upload with --private-key=user-content.example.net.key and the chained cert.",
    "success_url is https://example.com/done?session_id={CHECKOUT_SESSION_ID}",
    "export GITLAB_ADMIN_API_TOKEN=CHANGEME before running the script",
    "netmask 255.255.255.0, and ignore the ::fff prefix",
]


@pytest.mark.parametrize("item", SECRETS, ids=lambda c: c.kind)
def test_every_secret_in_the_corpus_is_masked_with_its_kind(item: Case) -> None:
    out = redact(item.sentence)
    assert item.secret not in out.text
    # no sizeable piece of the secret survives either
    chunks = {item.secret[i : i + 12] for i in range(0, max(len(item.secret) - 12, 0) + 1, 4)}
    assert not [c for c in chunks if len(item.secret) >= 16 and c in out.text]
    assert f"[REDACTED:{item.kind}]" in out.text


@pytest.mark.parametrize("item", SECRETS, ids=lambda c: c.kind)
def test_every_secret_in_the_corpus_counts_as_a_secret(item: Case) -> None:
    assert contains_secret(item.sentence)
    assert not contains_secret(redact(item.sentence).text)


def test_the_corpus_holds_at_least_sixty_secrets_of_many_kinds() -> None:
    assert len(SECRETS) >= 60
    assert len({c.kind for c in SECRETS}) >= 40


@pytest.mark.parametrize("item", PERSONAL, ids=lambda c: c.kind)
def test_email_and_ip_addresses_are_masked_but_are_not_secrets(item: Case) -> None:
    out = redact(item.sentence)
    assert out.text == item.sentence.replace(item.secret, f"[REDACTED:{item.kind}]")
    assert not contains_secret(item.sentence)


@pytest.mark.parametrize("sentence", INNOCENT)
def test_ordinary_support_text_comes_out_unchanged(sentence: str) -> None:
    out = redact(sentence)
    assert out.text == sentence
    assert out.findings == ()


def test_findings_give_the_kind_and_span_of_each_secret_in_the_original_text() -> None:
    key = "AKIA" + fake(UPPER, 16)
    text = f"mail ann@example.com about {key} now"
    out = redact(text)
    assert out.findings == (
        Finding("email", 5, 20),
        Finding("aws-access-key-id", text.index(key), text.index(key) + len(key)),
    )
    assert out.text == "mail [REDACTED:email] about [REDACTED:aws-access-key-id] now"


def test_a_password_in_a_url_keeps_the_user_and_the_host() -> None:
    out = redact("postgres://app_user:pa55word@db.example.com:5432/app")
    assert out.text == "postgres://app_user:[REDACTED:url-password]@db.example.com:5432/app"


def test_a_labelled_secret_keeps_its_label() -> None:
    out = redact('DB_PASSWORD=pa55word api_key: "k-123" secret=abc123')
    assert out.text == 'DB_PASSWORD=[REDACTED:password] api_key: "[REDACTED:api-key]" secret=[REDACTED:secret]'


def test_a_labelled_value_that_is_also_a_known_token_takes_the_specific_kind() -> None:
    token = "ghp_" + fake(ALNUM, 36)
    assert redact(f"GITHUB_TOKEN={token}").text == "GITHUB_TOKEN=[REDACTED:github-token]"


def test_a_bearer_jwt_is_masked_as_a_jwt_and_the_header_name_stays() -> None:
    token = JWT + fake(B64URL, 43)
    assert redact(f"Authorization: Bearer {token}").text == "Authorization: Bearer [REDACTED:jwt]"


def test_a_private_key_block_is_masked_whole_including_its_armor() -> None:
    block = pem("RSA PRIVATE KEY", 3)
    out = redact(f"before\n{block}\nafter")
    assert out.text == "before\n[REDACTED:private-key]\nafter"


def test_stripe_publishable_keys_are_public_and_kept() -> None:
    key = "pk_" + "live_" + fake(ALNUM, 24)
    assert redact(f"frontend uses {key}").text == f"frontend uses {key}"
    assert not contains_secret(key)


def test_extra_patterns_mask_account_ids_with_their_own_kind() -> None:
    account = "acct_" + fake(ALNUM, 16)
    out = redact(
        f"customer {account} on ticket T-1234", [("account-id", r"acct_[A-Za-z0-9]{16}"), ("ticket", r"T-\d+")]
    )
    assert out.text == "customer [REDACTED:account-id] on ticket [REDACTED:ticket]"
    assert not contains_secret(account)


def test_an_invalid_extra_pattern_is_refused_with_its_kind_named() -> None:
    with pytest.raises(InputError, match=r"'account-id'.*not a valid regular expression"):
        redact("text", [("account-id", "acct_[")])
    with pytest.raises(InputError, match="kind 'Account ID'"):
        redact("text", [("Account ID", "acct_x")])


def test_a_megabyte_of_adversarial_text_is_redacted_in_one_pass() -> None:
    # Pathological inputs for the label, e-mail and PEM rules; quadratic backtracking would hang here.
    text = ("a_" * 50_000) + ("x." * 50_000) + ("-----BEGIN PRIVATE KEY-----" * 10_000) + ("password=" * 20_000)
    out = redact(text)
    assert "-----BEGIN PRIVATE KEY-----" not in out.text


FRAGMENTS = [
    " ",
    "\n",
    "=",
    ":",
    "@",
    ".",
    "/",
    "&",
    '"',
    "://",
    "password=",
    "token: ",
    "Authorization: Bearer ",
    "api_key=",
    "sk_live_",
    "AKIA",
    "eyJ",
    "ghp_",
    "xoxb-",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
    "[REDACTED:email]",
    "[REDACTED:password]",
    "[REDACTED:",
    "]",
    "user@example.com",
    "10.0.0.1",
    "fe80::1",
    "::",
    "127.0.0.1",
    "postgres://u:p@h",
    "my password is ",
]
texts = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS),
            st.sampled_from([c.secret for c in SECRETS + PERSONAL]),
            st.text(alphabet=ALNUM + "+/-_.:=@", max_size=24),
        ),
        max_size=14,
    ).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_redact_is_total_idempotent_and_leaves_no_secret(text: str) -> None:
    once = redact(text)
    assert redact(once.text).text == once.text
    assert not contains_secret(once.text)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_findings_are_ordered_disjoint_and_rebuild_the_output(text: str) -> None:
    out = redact(text)
    rebuilt: list[str] = []
    cursor = 0
    for finding in out.findings:
        assert cursor <= finding.start < finding.end <= len(text)
        rebuilt += [text[cursor : finding.start], f"[REDACTED:{finding.kind}]"]
        cursor = finding.end
    assert "".join([*rebuilt, text[cursor:]]) == out.text
    assert all(re.fullmatch(r"[a-z0-9-]+", f.kind) for f in out.findings)
