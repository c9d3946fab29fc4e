import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUnifiedDiff } from '../../workflows/policy/diff.js';
import { changeFindingsSchema, detectChange, type ChangeFindings, type FindingKind } from '../../workflows/policy/detectors/index.js';

/** A one-hunk git diff of one file: `status` decides the /dev/null side. */
function fileDiff(path: string, change: { add?: string[]; del?: string[]; status?: 'added' | 'deleted' | 'modified' }): string {
  const add = change.add ?? [];
  const del = change.del ?? [];
  const status = change.status ?? (del.length === 0 ? 'added' : add.length === 0 ? 'deleted' : 'modified');
  return [
    `diff --git a/${path} b/${path}`,
    ...(status === 'added' ? ['new file mode 100644'] : status === 'deleted' ? ['deleted file mode 100644'] : []),
    status === 'added' ? '--- /dev/null' : `--- a/${path}`,
    status === 'deleted' ? '+++ /dev/null' : `+++ b/${path}`,
    `@@ -${del.length ? 1 : 0},${del.length} +${add.length ? 1 : 0},${add.length} @@`,
    ...del.map((l) => `-${l}`),
    ...add.map((l) => `+${l}`),
    '',
  ].join('\n');
}

function findings(...diffs: string[]): ChangeFindings {
  const result = detectChange(parseUnifiedDiff(diffs.join('')));
  changeFindingsSchema.parse(result); // always a valid boundary payload
  return result;
}

/** The rules one finding kind fired with. */
const rules = (kind: FindingKind, ...diffs: string[]) => findings(...diffs)[kind].map((e) => e.rule);

describe('schema change detector', () => {
  const positives: [string, string][] = [
    ['Django migration', fileDiff('shop/migrations/0012_order_note.py', { add: [
      'from django.db import migrations, models', '', 'class Migration(migrations.Migration):',
      '    operations = [migrations.AddField(model_name="order", name="note", field=models.TextField(null=True))]'] })],
    ['Django model field', fileDiff('shop/models.py', { del: ['    note = models.CharField(max_length=200)'], add: ['    note = models.CharField(max_length=2000)'] })],
    ['Alembic revision', fileDiff('alembic/versions/3f2a_add_summary.py', { add: ['def upgrade():', '    op.add_column("recipe", sa.Column("summary", sa.String()))'] })],
    ['SQLAlchemy model', fileDiff('app/db/models/user.py', { add: ['    nickname: Mapped[str | None] = mapped_column(String(64))'] })],
    ['Rails migration', fileDiff('db/migrate/20240101000000_add_plan.rb', { add: ['class AddPlan < ActiveRecord::Migration[7.1]', '  def change', '    add_column :accounts, :plan, :string', '  end', 'end'] })],
    ['Rails schema.rb', fileDiff('db/schema.rb', { add: ['    t.string "plan"'] , del: [] , status: 'modified' })],
    ['Prisma schema', fileDiff('prisma/schema.prisma', { add: ['  archivedAt DateTime?'], status: 'modified' })],
    ['Knex migration', fileDiff('db/knex_migrations/2024-01-01-add-tags.js', { add: ['exports.up = (knex) => knex.schema.createTable("tags", (t) => { t.increments(); });'] })],
    ['TypeORM migration', fileDiff('src/database/migrations/1700000000000-AddIndex.ts', { add: ['await queryRunner.query(`CREATE INDEX "idx_user_email" ON "user" ("email")`);'] })],
    ['TypeORM entity', fileDiff('src/entity/User.ts', { add: ['  @Column({ nullable: true })', '  nickname?: string;'], status: 'modified' })],
    ['Sequelize model', fileDiff('src/models/order.js', { add: ['    note: { type: DataTypes.TEXT, allowNull: true },'], status: 'modified' })],
    ['Drizzle table', fileDiff('src/db/schema/users.ts', { del: ['  bio: varchar("bio", { length: 256 }),'], add: ['  bio: text("bio"),'] })],
    ['plain SQL', fileDiff('sql/patch-2024-add-column.sql', { add: ['ALTER TABLE monitor ADD COLUMN retries INTEGER;'] })],
    ['go-migrate', fileDiff('db/000042_add_audit.up.sql', { add: ['CREATE TABLE audit (id BIGSERIAL PRIMARY KEY);'] })],
    ['Flyway', fileDiff('src/main/resources/db/V7__widen_name.sql', { add: ['ALTER TABLE person ALTER COLUMN name TYPE varchar(512);'] })],
    ['Liquibase', fileDiff('src/main/resources/db/changelog/003-add-table.yaml', { add: ['- changeSet:', '    changes:', '      - createTable:', '          tableName: invoice'] })],
    ['data migration', fileDiff('accounts/migrations/0031_delete_orphans.py', { add: ['    operations = [migrations.RunPython(delete_orphans, migrations.RunPython.noop)]'] })],
    ['grants in a SQL file', fileDiff('db/mysql/user.sql', { add: ["GRANT ALL PRIVILEGES ON petclinic.* TO 'petclinic'@'%';"], status: 'modified' })],
    ['GORM struct tag', fileDiff('internal/store/user.go', { add: ['\tNickname string `gorm:"size:64;index"`'], status: 'modified' })],
    ['a Mongoose schema', fileDiff('models/Comment.js', { add: ['var CommentSchema = new mongoose.Schema({', '  body: String,', '}, {timestamps: true});'] })],
    ['a Mongoose reference field', fileDiff('models/Article.js', { add: ["  favorited: [{ type: mongoose.Schema.Types.ObjectId, ref: 'User' }],"], status: 'modified' })],
    ['a typed Mongoose field', fileDiff('models/Article.js', { add: ['  favoritesCount: {type: Number, default: 0},'], status: 'modified' })],
    ['a plain Mongoose field', fileDiff('models/Article.js', { add: ['  description: String,'], status: 'modified' })],
    ['a JPA relationship added', fileDiff('src/main/java/org/acme/owner/Pet.java', { add: ['\t@ManyToOne(fetch = FetchType.LAZY)', '\t@JoinColumn(name = "owner_id")', '\tprivate Owner owner;'], status: 'modified' })],
    ['a JPA relationship whose join changed with its fetch type', fileDiff('src/main/java/org/acme/owner/Pet.java', {
      del: ['\t@ManyToOne(fetch = FetchType.EAGER, optional = true)'], add: ['\t@ManyToOne(fetch = FetchType.LAZY, optional = false)'] })],
    ['a SQLModel table', fileDiff('app/models.py', { add: ['class Item(ItemBase, table=True):', '    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)'], status: 'modified' })],
    ['a bare SQLAlchemy Column', fileDiff('app/db/tables.py', { add: ['    email = Column(String(255), nullable=False, unique=True)'], status: 'modified' })],
    ['a condition added inside the SQL of a migration registry', fileDiff('internal/database/migrations.go', { add: ['\t\t\t\t\tAND feed_id IN (SELECT id FROM feeds)'], status: 'modified' })],
    ['a column definition rewritten in a migration registry', fileDiff('internal/database/migrations.go', { del: ['\t\t\t\tid bigserial not null,'], add: ['\t\t\t\tid BIGSERIAL,'] })],
    ['a migration whose code changed beside its reformatting', fileDiff('shop/migrations/0012_order_note.py', {
      del: ["        migrations.AddField(model_name='order', name='note', field=models.TextField(blank=True)),"],
      add: ['        migrations.AddField(', '            model_name="order",', '            name="note",', '            field=models.TextField(blank=False),', '        ),'] })],
  ];
  for (const [name, diff] of positives) {
    it(`fires on ${name}`, () => assert.ok(rules('schemaChange', diff).length > 0, name));
  }

  const negatives: [string, string][] = [
    ['a comment-only edit of a Python migration', fileDiff('shop/migrations/0012_order_note.py', { add: ['        # We can remove this when we squash migrations.'], status: 'modified' })],
    ['a JSDoc-only edit of a Knex migration', fileDiff('db/knex_migrations/2024-rename.js', {
      del: [' * @param {import("knex").Knex} knex'], add: [' * @param {import("knex").Knex} knex The Knex instance.'] })],
    ['a SQL comment in a migration', fileDiff('migrations/0004_x.sql', { add: ['-- this migration is idempotent'], status: 'modified' })],
    ['a re-indented migration', fileDiff('db/migrate/20240101000000_add_plan.rb', {
      del: ['    add_column :accounts, :plan, :string'], add: ['      add_column :accounts, :plan, :string'] })],
    ['a migration test', fileDiff('shop/tests/test_migrations.py', { add: ['ALTER TABLE x ADD COLUMN y int'] })],
    ['docs quoting DDL', fileDiff('docs/database.md', { add: ['Run `ALTER TABLE users ADD COLUMN plan text;` first.'] })],
    ['a UI table column', fileDiff('netbox/dcim/tables/devices.py', { add: ['    status = tables.Column(verbose_name="Status")'], status: 'modified' })],
    ['a Go refactor in a file named migrations.go', fileDiff('internal/database/migrations.go', {
      del: ['\tif err == sql.ErrNoRows {'], add: ['\tif errors.Is(err, sql.ErrNoRows) {'] })],
    ['a Go struct in a file named migrations.go', fileDiff('internal/database/migrations.go', { add: ['type step struct {', '\tversion int', '\tname    string', '}'], status: 'modified' })],
    ['an import-only change to a file named migrations.go', fileDiff('internal/database/migrations.go', { add: ['\t"errors"'], status: 'modified' })],
    ['an application query', fileDiff('src/queries/users.sql', { add: ['SELECT id, email FROM users WHERE id = $1;'] })],
    ['a migration reformatted by black', fileDiff('shop/migrations/0012_order_note.py', {
      del: ["        migrations.AddField(model_name='order', name='note', field=models.TextField(blank=True)),"],
      add: ['        migrations.AddField(', '            model_name="order",', '            name="note",', '            field=models.TextField(blank=True),', '        ),'] })],
    ['a Rails migration reformatted by standardrb', fileDiff('db/migrate/20100810204907_create_users.rb', {
      del: ['      t.string   :salt,               :limit => 128', '    %w(follow_ups questions).each do |table|', "      update \"update t set slug = '#{CGI::escape(topic['name'])}'\""],
      add: ['      t.string :salt, limit: 128', '    %w[follow_ups questions].each do |table|', "      update \"update t set slug = '#{CGI.escape(topic[\"name\"])}'\""] })],
    ['Alembic\'s env.py', fileDiff('backend/app/alembic/env.py', {
      del: ['    user = os.getenv("POSTGRES_USER", "postgres")', '    return f"postgresql://{user}@db/app"'], add: ['    return str(settings.SQLALCHEMY_DATABASE_URI)'] })],
    ['a data-migration tool\'s crate, not database migrations', fileDiff('migration-tool/src/ldap.rs', { add: ['pub fn read_users(conn: &mut LdapConn) -> Result<Vec<User>> {'], status: 'modified' })],
    ['a manifest in a migrations crate', fileDiff('crates/migrations/Cargo.toml', { del: ['edition = "2021"'], add: ['edition = "2024"'] })],
    ['Prisma\'s migration lock', fileDiff('prisma/migrations/migration_lock.toml', { add: ['provider = "postgresql"'], status: 'modified' })],
    ['a Wagtail listing column', fileDiff('breads/wagtail_hooks.py', { add: ['    origin_column = Column("origin", sort_key="origin", width="12%")'], status: 'modified' })],
    ['a JPA relationship fetched lazily instead of eagerly', fileDiff('src/main/java/org/acme/owner/Owner.java', {
      del: ['\t@OneToMany(cascade = CascadeType.ALL, fetch = FetchType.EAGER)'], add: ['\t@OneToMany(cascade = CascadeType.ALL, fetch = FetchType.LAZY)'] })],
    ['a JPA relationship given a cascade', fileDiff('src/main/java/org/acme/visit/Visit.java', {
      del: ['    @ManyToOne'], add: ['    @ManyToOne(cascade = { CascadeType.PERSIST, CascadeType.MERGE })'] })],
    ['a TypeORM relation loaded eagerly', fileDiff('src/entity/Photo.ts', {
      del: ['  @ManyToOne(() => User, (user) => user.photos)'], add: ['  @ManyToOne(() => User, (user) => user.photos, { eager: true })'] })],
    ['a Vue prop with a type', fileDiff('src/models/Counter.vue', { add: ['    count: { type: Number, default: 0 },'], status: 'modified' })],
    ['a typed option outside a models path', fileDiff('src/components/chart.js', { add: ['    width: { type: Number, default: 400 },'], status: 'modified' })],
    ['a Mongoose model looked up, not defined', fileDiff('routes/api/users.js', { add: ["var User = mongoose.model('User');"], status: 'modified' })],
  ];
  for (const [name, diff] of negatives) {
    it(`ignores ${name}`, () => assert.deepEqual(rules('schemaChange', diff), []));
  }
});

describe('new integration detector', () => {
  const positives: [string, string][] = [
    ['an npm SDK', fileDiff('package.json', { add: ['    "stripe": "^14.0.0",'], status: 'modified' })],
    ['a scoped npm SDK', fileDiff('apps/web/package.json', { add: ['    "@aws-sdk/client-s3": "^3.500.0",'], status: 'modified' })],
    ['a pip requirement', fileDiff('requirements.txt', { add: ['boto3==1.34.0'], status: 'modified' })],
    ['a pyproject dependency', fileDiff('pyproject.toml', { add: ['    "sentry-sdk[fastapi]>=2.0",'], status: 'modified' })],
    ['a gem', fileDiff('Gemfile', { add: ['gem "twilio-ruby", "~> 7.0"'], status: 'modified' })],
    ['a Go module', fileDiff('go.mod', { add: ['\tgithub.com/segmentio/kafka-go v0.4.47'], status: 'modified' })],
    ['a crate', fileDiff('Cargo.toml', { add: ['async-openai = "0.20"'], status: 'modified' })],
    ['a Maven artifact', fileDiff('pom.xml', { add: ['      <artifactId>aws-java-sdk-s3</artifactId>'], status: 'modified' })],
    ['a Gradle dependency', fileDiff('build.gradle', { add: ["    implementation 'com.sendgrid:sendgrid-java:4.10.1'"], status: 'modified' })],
    ['an Oracle database driver', fileDiff('package.json', { add: ['    "oracledb": "^6.8.0",'], status: 'modified' })],
    ['a WebDAV storage adapter', fileDiff('composer.json', { add: ['        "league/flysystem-webdav": "^3.29",'], status: 'modified' })],
    ['a Vercel storage SDK', fileDiff('package.json', { add: ['    "@vercel/blob": "^0.27.0",'], status: 'modified' })],
    ['new Stripe(...) in TypeScript', fileDiff('src/billing/client.ts', { add: ['export const stripe = new Stripe(process.env.STRIPE_KEY!, { apiVersion: "2024-06-20" });'] })],
    ['boto3.client in Python', fileDiff('app/storage.py', { add: ['s3 = boto3.client("s3", region_name=settings.AWS_REGION)'], status: 'modified' })],
    ['Sentry.init', fileDiff('src/main.tsx', { add: ['Sentry.init({ dsn: import.meta.env.VITE_SENTRY_DSN });'], status: 'modified' })],
    ['an AWS client in Go', fileDiff('internal/blob/s3.go', { add: ['\tclient := s3.NewFromConfig(cfg)'] })],
    ['a Ruby client', fileDiff('app/services/sms.rb', { add: ['    @client = Twilio::REST::Client.new(account_sid, auth_token)'] })],
    ['an OpenAI client in Python', fileDiff('app/llm.py', { add: ['client = OpenAI(api_key=settings.OPENAI_API_KEY)'] })],
    ['a service endpoint in config', fileDiff('next.config.mjs', { add: ['      destination: "https://eu.i.posthog.com/:path*",'], status: 'modified' })],
    ['a new client module calling an external URL', fileDiff('src/lib/weather.ts', { add: ['const res = await fetch("https://api.weatherapi.net/v1/current.json?q=" + city);'] })],
    ['a new Go client whose endpoint is a constant', fileDiff('internal/integration/linkhut/client.go', { add: [
      'const defaultURL = "https://api.linkhut.org/v1/posts"', 'func (c *Client) Save(u string) error {', '\treq, err := http.NewRequest(http.MethodPost, c.url, nil)'] })],
    ['a new module named after a service', fileDiff('app/destinations/datadog.py', { add: [
      'class Datadog(BaseDestination):', '    def notify(self, alert):', '        requests.post(self.url, json=alert.payload, timeout=5)'] })],
    ['a new notification provider posting to a URL the user configures', fileDiff('server/notification-providers/pinglet.js', { add: [
      'const axios = require("axios");', 'class Pinglet extends NotificationProvider {', '    async send(notification, msg) {',
      '        await axios.post(notification.pingletPublishUrl, { msg });'] })],
    ['a new HTTP module calling an app. host', fileDiff('server/notification-providers/bearsms.js', { add: [
      'const axios = require("axios");', '        const url = `https://app.bearsms.com/index.php?${params}`;', '        await axios.get(url, config);'] })],
  ];
  for (const [name, diff] of positives) {
    it(`fires on ${name}`, () => assert.ok(rules('newIntegration', diff).length > 0, name));
  }
  it('fires on a service host that only a removed docs line mentioned before', () => assert.deepEqual(rules('newIntegration',
    fileDiff('docs/payments.md', { del: ['Charges are created with `POST https://api.paystack.co/transaction/initialize`.'], status: 'modified' }),
    fileDiff('src/payments/charge.ts', { add: ['const res = await fetch("https://api.paystack.co/transaction/initialize", { method: "POST" });'], status: 'modified' })),
  ['service-endpoint']));
  it('fires on an SDK call moved from a docs example into code', () => assert.deepEqual(rules('newIntegration',
    fileDiff('README.md', { del: ['const stripe = new Stripe(process.env.STRIPE_KEY);'], status: 'modified' }),
    fileDiff('src/billing.ts', { add: ['const stripe = new Stripe(process.env.STRIPE_KEY);'], status: 'modified' })),
  ['client-construction']));

  const negatives: [string, ...string[]][] = [
    ['a version bump', fileDiff('package.json', { del: ['    "stripe": "^13.0.0",'], add: ['    "stripe": "^14.0.0",'] })],
    ['a Gemfile bump', fileDiff('Gemfile', { del: ['gem "sentry-ruby", "~> 5.1"'], add: ['gem "sentry-ruby", "~> 5.2"'] })],
    ['a utility library', fileDiff('package.json', { add: ['    "lodash": "^4.17.21",'], status: 'modified' })],
    ['an indirect Go module', fileDiff('go.mod', { add: ['\tgithub.com/aws/smithy-go v1.20.0 // indirect'], status: 'modified' })],
    ['a type package', fileDiff('package.json', { add: ['    "@types/stripe": "^8.0.0",'], status: 'modified' })],
    ['a switch from a vendor\'s wrapper to the plain client of the same service', fileDiff('package.json', { del: ['    "@umami/redis-client": "^0.30.0",'], add: ['    "redis": "^4.5.1",'] })],
    ['an SDK migration of a service already used', fileDiff('package.json', { del: ['    "aws-sdk": "^2.1500.0",'], add: ['    "@aws-sdk/client-s3": "^3.500.0",'] })],
    ['a client construction moved between files',
      fileDiff('src/a.ts', { del: ['const kafka = new Kafka({ brokers });'], add: ['import { kafka } from "./b";'] }),
      fileDiff('src/b.ts', { add: ['const kafka = new Kafka({ brokers });'] })],
    ['a class of our own named after a service', fileDiff('server/monitor-types/index.js', { add: ['types.redis = new RedisMonitorType();'], status: 'modified' })],
    ['a client built in a test', fileDiff('tests/test_storage.py', { add: ['s3 = boto3.client("s3")'] })],
    ['a link to a vendor\'s docs', fileDiff('src/settings.tsx', { add: ['<a href="https://docs.stripe.com/keys">Where is my key?</a>'], status: 'modified' })],
    ['docs mentioning an SDK', fileDiff('docs/setup.md', { add: ['Install `stripe` and call `new Stripe(key)`.'] })],
    ['a new UI component that fetches', fileDiff('src/pages/Status.tsx', { add: [
      'const data = await fetch("/api/status");', '<a href="https://status.vendor-example.net">status</a>'] })],
    ['a module whose name merely contains a service word', fileDiff('server/webhooks/resend-webhook-call.ts', { add: ['await fetch(call.url, { method: "POST" });'] })],
    ['a dev-only requirement', fileDiff('requirements-dev.txt', { add: ['boto3>=1.10.0'], status: 'modified' })],
    ['a Mongoose schema (a model, not a client)', fileDiff('models/User.js', { add: ['var UserSchema = new mongoose.Schema({', '  username: String,', '});'] })],
    ['a stylesheet from a public CDN', fileDiff('templates/base.html', { add: [
      '<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/4.7.0/css/font-awesome.min.css">'], status: 'modified' })],
    ['a new Angular provider calling our own API', fileDiff('src/app/providers/user.service.ts', { add: [
      'export class UserService {', '  load() { return this.http.get("/api/users"); }', '}'] })],
    ['a link to a vendor\'s home page', fileDiff('components/Pricing.js', { add: ['<a href="https://stripe.com" aria-label="stripe.com Link">', 'Powered by [Vercel](https://vercel.com/new)'], status: 'modified' })],
    ['an app\'s own address on a hosting platform', fileDiff('.env.local.example', { add: ['NEXT_PUBLIC_SITE_URL=https://your-deployment-url.vercel.app'], status: 'modified' })],
    ['a known endpoint rewritten by a refactor', fileDiff('internal/integration/readwise/readwise.go', {
      del: ['\treadwiseApiEndpoint  = "https://readwise.io/api/v3/save/"'], add: ['const readwiseApiEndpoint = "https://readwise.io/api/v3/save/"'] })],
    ['an auth framework without a provider', fileDiff('Gemfile', { add: ['gem "omniauth-rails_csrf_protection"'], status: 'modified' })],
  ];
  for (const [name, ...diffs] of negatives) {
    it(`ignores ${name}`, () => assert.deepEqual(rules('newIntegration', ...diffs), []));
  }
});

describe('secret detector', () => {
  const positives: [string, string, string][] = [
    ['a PEM private key (even in a test)', 'PEM private key', fileDiff('test/certs/server.key', { add: ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA7', '-----END RSA PRIVATE KEY-----'] })],
    ['an AWS access key pair', 'AWS_SECRET_ACCESS_KEY', fileDiff('deploy/values.yaml', { add: ['aws_access_key_id: AKIAIOSFODNN7EXAMPLE', 'AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'], status: 'modified' })],
    ['a Stripe key in .env', 'STRIPE_SECRET_KEY', fileDiff('.env.example', { add: ['STRIPE_SECRET_KEY=sk_test_51Habcdefghijklmnop'], status: 'modified' })],
    ['a GitHub token in code', 'token', fileDiff('scripts/release.js', { add: ['const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";'] })],
    ['a placeholder value', 'SECRET_KEY_BASE', fileDiff('.env.example', { add: ['SECRET_KEY_BASE=changeme'], status: 'modified' })],
    ['a YAML password', 'POSTGRES_PASSWORD', fileDiff('docker-compose.yml', { add: ['      POSTGRES_PASSWORD: hunter2'], status: 'modified' })],
    ['a JSON client secret', 'client_secret', fileDiff('config/oauth.json', { add: ['  "client_secret": "s3cr3t-Value-42",'], status: 'modified' })],
    ['a Django SECRET_KEY', 'SECRET_KEY', fileDiff('mysite/settings.py', { add: ['SECRET_KEY = "django-insecure-9x@k2!q"'], status: 'modified' })],
    ['a Go API key constant', 'apiKey', fileDiff('internal/client/client.go', { add: ['const apiKey = "k3y-for-the-staging-api"'], status: 'modified' })],
    ['a MySQL user with a password', 'database password', fileDiff('db/mysql/user.sql', { add: ["CREATE USER IF NOT EXISTS 'petclinic'@'%' IDENTIFIED BY 'petclinic';"], status: 'modified' })],
    ['a Postgres role with a password', 'database password', fileDiff('deploy/init.sql', { add: ["CREATE ROLE app WITH LOGIN PASSWORD 'Sup3rS3cret';"] })],
    ['a Ruby symbol key with a hash rocket', 'api_key', fileDiff('config/initializers/payments.rb', { add: ['Payments.configure(:api_key => "k3yV4lu3AbCdEf1234567")'], status: 'modified' })],
    ['a URL with a password', 'DATABASE_URL', fileDiff('deploy/app.env', { add: ['DATABASE_URL=postgres://app:Sup3rS3cret@db.internal.example.net:5432/app'] })],
    ['a docs example with an env block', 'S3_SECRET_KEY', fileDiff('docs/storage.mdx', { add: ['```bash', 'S3_SECRET_KEY=your_secret_key', '```'] })],
  ];
  for (const [name, keyName, diff] of positives) {
    it(`fires on ${name}, with a redacted excerpt`, () => {
      const found = findings(diff).secret;
      assert.ok(found.length > 0, name);
      assert.ok(found.some((e) => e.excerpt.includes(keyName) && e.excerpt.endsWith('***')), JSON.stringify(found));
    });
  }

  it('never shows any part of the value', () => {
    const values = ['sk_test_51Habcdefghijklmnop', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AKIAIOSFODNN7EXAMPLE', 'hunter2', 'MIIEowIBAAKCAQEA7'];
    const keyAsName = fileDiff('config/keys.yml', { add: ['sk_live_abcdefghijklmnop1234: true'] });
    const found = findings(...positives.map(([, , diff]) => diff), keyAsName).secret;
    assert.equal(found.length, positives.length + 2); // the AWS pair is two lines
    for (const e of found) for (const v of [...values, 'sk_live_abcdefghijklmnop1234']) assert.ok(!e.excerpt.includes(v), e.excerpt);
  });

  const negatives: [string, string][] = [
    ['an empty placeholder', fileDiff('.env.example', { add: ['STRIPE_SECRET_KEY=', 'STRIPE_WEBHOOK_SECRET='], status: 'modified' })],
    ['values read from the environment', fileDiff('src/config.ts', { add: [
      'export const stripeKey = process.env.STRIPE_SECRET_KEY;', 'const token = import.meta.env.VITE_TOKEN;'], status: 'modified' })],
    ['os.environ / ENV / os.Getenv reads', [
      fileDiff('app/settings.py', { add: ['SECRET_KEY = os.environ["SECRET_KEY"]', 'DB_PASSWORD = os.getenv("DB_PASSWORD", "")'], status: 'modified' }),
      fileDiff('config/initializers/stripe.rb', { add: ['Stripe.api_key = ENV["STRIPE_SECRET_KEY"]'], status: 'modified' }),
      fileDiff('cmd/server/main.go', { add: ['\tapiKey := os.Getenv("API_KEY")'], status: 'modified' }),
    ].join('')],
    ['deploy-time templates', fileDiff('.github/workflows/deploy.yml', { add: [
      '          API_TOKEN: ${{ secrets.API_TOKEN }}', '          password: ${DB_PASSWORD}', '      SECRET_KEY: <your-secret-key>'], status: 'modified' })],
    ['a cache key constant in code', fileDiff('src/cache.ts', { add: ['const CACHE_KEY = "user-list";', 'const STORAGE_KEY = "theme";'], status: 'modified' })],
    ['UI labels and message keys', fileDiff('src/i18n/messages.ts', { add: ['  password: "Password",', "  changePassword: 'label.change-password',"], status: 'modified' })],
    ['a masked value', fileDiff('src/mock.ts', { add: ['  apiKey: "********",'], status: 'modified' })],
    ['settings that mention a token', fileDiff('.github/workflows/ci.yml', { add: ['  id-token: write', '      token_expiry: 3600'], status: 'modified' })],
    ['a test fixture password', fileDiff('tests/test_login.py', { add: ['    user = User.objects.create_user(username="a", password="pw12345")'] })],
    ['a localhost DSN', fileDiff('docker-compose.dev.yml', { add: ['      DATABASE_URL: postgres://postgres:postgres@localhost:5432/dev'], status: 'modified' })],
    ['a removed secret', fileDiff('.env', { del: ['API_TOKEN=abcdef123456'] })],
    ['a dependency named like a secret', fileDiff('package.json', { add: ['    "@google-cloud/secret-manager": "^6.1.1",'], status: 'modified' })],
    ['a test database\'s user, and a password filled in at deploy time', [
      fileDiff('tests/db/setup.sql', { add: ["CREATE USER tester IDENTIFIED BY 'tester';"] }),
      fileDiff('deploy/init.sql', { add: ["ALTER ROLE app WITH PASSWORD '${DB_PASSWORD}';"] }),
    ].join('')],
    ['a Vue prop bound to an expression', fileDiff('src/components/auth/Auth.vue', { add: ['      :login-token="twoFactorLoginToken"', '      @submit="onSubmit"'], status: 'modified' })],
    ['Laravel casts that hash or encrypt', fileDiff('app/Models/User.php', { add: ["            'password' => 'hashed',", "            'two_factor_secret' => 'encrypted',"], status: 'modified' })],
    ['a test-data factory', fileDiff('database/factories/UserFactory.php', { add: ["            'password' => 'secret',"], status: 'modified' })],
    ['a route with a :token parameter', fileDiff('config/routes.rb', { add: ['    get "/unsubscribes/:token" => "unsubscribes#show", :as => :unsubscribe'], status: 'modified' })],
  ];
  for (const [name, diff] of negatives) {
    it(`ignores ${name}`, () => assert.deepEqual(findings(diff).secret, []));
  }
});

describe('API-breaking detector', () => {
  const positives: [string, string, ...string[]][] = [
    ['a TS export removed from a package entry', 'symbol-removed',
      fileDiff('packages/sdk/src/index.ts', { del: ["export { getClient } from './client.js';"], add: [] , status: 'modified' })],
    ['a deleted type declaration', 'symbol-removed', fileDiff('types/index.d.ts', { del: ['export interface Options { a: string }'] })],
    ['a Python API function', 'symbol-removed', fileDiff('mylib/api.py', { del: ['def fetch_all(session):', '    return []'], status: 'modified', add: ['# moved'] })],
    ['a Go exported function', 'symbol-removed', fileDiff('pkg/client/client.go', { del: ['func NewClient(addr string) *Client {'], add: ['func newClient(addr string) *Client {'] })],
    ['an Express route', 'route-removed', fileDiff('src/server/routes.ts', { del: ["router.get('/api/v1/users/:id', getUser);"], add: [], status: 'modified' })],
    ['a Flask route', 'route-removed', fileDiff('app/views.py', { del: ['@app.route("/reports/<int:id>")'], status: 'modified', add: ['# gone'] })],
    ['a Rails route', 'route-removed', fileDiff('config/routes.rb', { del: ['  post "/settings/avatar" => "settings#avatar"'], status: 'modified', add: ['  # avatar is automatic now'] })],
    ['a renamed GraphQL field', 'graphql-removed', fileDiff('schema.graphql', { del: ['  signedByUserId: ID'], add: ['  markedAsSignedByUserId: ID'] })],
    ['a removed GraphQL mutation', 'graphql-removed', fileDiff('app/graphql/schema.graphql', { del: ['  exportGiftCards(input: ExportInput!): ExportPayload'], status: 'modified', add: ['  exportProducts(input: ExportInput!): ExportPayload'] })],
    ['a removed CLI flag (argparse)', 'cli-flag-removed', fileDiff('tool/cli.py', { del: ['    parser.add_argument("--channel", default="stable")'], status: 'modified', add: ['    pass'] })],
    ['a removed CLI flag (cobra)', 'cli-flag-removed', fileDiff('cmd/root.go', { del: ['\trootCmd.Flags().BoolVarP(&serveUI, "frontend", "", true, "serve UI")'], status: 'modified', add: ['\t// always serve the UI'] })],
    ['a renamed env var without fallback', 'env-var-removed', fileDiff('config/application.rb', {
      del: ['config.self_hosted = ENV["SELF_HOSTING_ENABLED"] == "true"'], add: ['config.self_hosted = ENV["SELF_HOSTED"] == "true"'] })],
    ['a serializer field', 'response-field-removed', fileDiff('api/serializers.py', { del: ['    legacy_id = serializers.CharField()'], status: 'modified', add: ['    # legacy_id is gone'] })],
    ['a dropped column', 'column-dropped', fileDiff('prisma/migrations/20250101_drop/migration.sql', { add: ['ALTER TABLE "Contact" DROP COLUMN "userId";'] })],
    ['a deleted Next.js API route', 'route-file-removed', fileDiff('src/app/api/version/route.ts', { del: ['export async function GET() { return Response.json({ v: 1 }); }'] })],
    ['a pydantic setting removed', 'env-var-removed', fileDiff('backend/app/core/config.py', { del: ['    USERS_OPEN_REGISTRATION: bool = False'], add: [], status: 'modified' })],
    ['a Go envconfig tag removed', 'env-var-removed', fileDiff('internal/config/config.go', { del: ['\tLegacyMode bool `envconfig:"LEGACY_MODE"`'], add: [], status: 'modified' })],
  ];
  for (const [name, rule, ...diffs] of positives) {
    it(`fires on ${name}`, () => assert.ok(rules('apiBreaking', ...diffs).includes(rule), JSON.stringify(findings(...diffs).apiBreaking)));
  }

  const negatives: [string, ...string[]][] = [
    ['an export moved to another entry',
      fileDiff('packages/a/src/index.ts', { del: ['export function parse(s: string) { return s; }'], add: [], status: 'modified' }),
      fileDiff('packages/b/src/index.ts', { add: ['export function parse(s: string) { return s; }'] })],
    ['a rename that keeps the old name as an alias', fileDiff('packages/sdk/src/index.ts', {
      del: ["export { getClient } from './client.js';"], add: ["export { createClient, createClient as getClient } from './client.js';"] })],
    ['an additive change', fileDiff('packages/sdk/src/index.ts', { add: ["export { retry } from './retry.js';"], status: 'modified' })],
    ['an export removed in a test file', fileDiff('src/__tests__/helpers.ts', { del: ['export const makeUser = () => ({});'] })],
    ['an export removed inside an application', fileDiff('apps/web/components/Button.tsx', { del: ['export const OldButton = () => null;'], add: [], status: 'modified' })],
    ['an env var kept as a fallback', fileDiff('src/config.ts', {
      del: ['const url = process.env.API_URL;'], add: ['const url = process.env.SERVICE_URL ?? process.env.API_URL;'] })],
    ['a method on an unexported Go type', fileDiff('pkg/store/store.go', { del: ['func (s *store) Save(v any) error {'], add: [], status: 'modified' })],
    ['a removed route re-added with a method prefix', fileDiff('internal/http/server.go', {
      del: ['\trouter.HandleFunc("/healthz", health)'], add: ['\tmux.HandleFunc("GET /healthz", health)'] })],
    ['a Python helper in an internal module', fileDiff('shop/utils/pricing.py', { del: ['def round_price(p):', '    return p'], status: 'modified', add: ['# inlined'] })],
    ['docs', fileDiff('docs/api.md', { del: ['export function legacy() {}'] })],
    ['a migration pair that adds a column and drops it on rollback', fileDiff('alembic/versions/1_add.py', { add: [
      'def upgrade():', '    op.add_column("recipe", sa.Column("summary", sa.String()))', 'def downgrade():', '    op.drop_column("recipe", "summary")'] })],
    ['the Maven wrapper removed', fileDiff('.mvn/wrapper/MavenWrapperDownloader.java', { del: ['public class MavenWrapperDownloader {', '    if (System.getenv("MVNW_USERNAME") != null) {'] })],
    ['a pydantic setting renamed with its old name kept', fileDiff('backend/app/core/config.py', {
      del: ['    SMTP_TLS: bool = True'], add: ['    SMTP_STARTTLS: bool = Field(True, validation_alias=AliasChoices("SMTP_STARTTLS", "SMTP_TLS"))'] })],
    ['a Django setting (not read from the environment by name)', fileDiff('mysite/settings.py', { del: ['LEGACY_FLAG = True'], add: [], status: 'modified' })],
    ['a benchmark removed', fileDiff('benchmarks/middleware.js', { del: ['var n = parseInt(process.env.MW || "1", 10);'] })],
    ['an env var the code set, not read', fileDiff('bin/spring', { del: ['  ENV["GEM_PATH"] = ([Bundler.bundle_path.to_s] + Gem.path).join(File::PATH_SEPARATOR)', '  process.env.FORCE_COLOR = "1"'], add: [], status: 'modified' })],
    ['Alembic\'s env.py no longer reading the database settings itself', fileDiff('backend/app/alembic/env.py', {
      del: ['    user = os.getenv("POSTGRES_USER", "postgres")'], add: ['    return str(settings.SQLALCHEMY_DATABASE_URI)'] })],
  ];
  for (const [name, ...diffs] of negatives) {
    it(`ignores ${name}`, () => assert.deepEqual(findings(...diffs).apiBreaking, []));
  }
});

/** A symlink as `git diff` prints it: added (`new file mode 120000`) or retargeted (`index … 120000`). */
function linkDiff(path: string, target: string, previous?: string): string {
  const noNewline = '\\ No newline at end of file';
  return [
    `diff --git a/${path} b/${path}`,
    ...(previous === undefined
      ? ['new file mode 120000', 'index 0000000..1111111', '--- /dev/null', `+++ b/${path}`, '@@ -0,0 +1 @@']
      : ['index 1111111..2222222 120000', `--- a/${path}`, `+++ b/${path}`, '@@ -1 +1 @@', `-${previous}`, noNewline]),
    `+${target}`,
    noNewline,
    '',
  ].join('\n');
}

describe('unsafe symlink detector', () => {
  const cases: { name: string; diff: string; rule?: string }[] = [
    { name: 'an absolute target', diff: linkDiff('config/passwd', '/etc/passwd'), rule: 'symlink-absolute' },
    { name: 'an absolute target at the root', diff: linkDiff('passwd', '/'), rule: 'symlink-absolute' },
    { name: 'a Windows drive path', diff: linkDiff('data', 'C:\\Users\\me\\.ssh'), rule: 'symlink-absolute' },
    { name: 'a UNC path', diff: linkDiff('share', '\\\\host\\share'), rule: 'symlink-absolute' },
    { name: 'one level too many ..', diff: linkDiff('config/outside.txt', '../../outside.txt'), rule: 'symlink-escapes-repo' },
    { name: '.. from the root', diff: linkDiff('up', '..'), rule: 'symlink-escapes-repo' },
    { name: 'down then up past the root', diff: linkDiff('a/link', 'b/../../../x'), rule: 'symlink-escapes-repo' },
    { name: 'a retarget that now escapes', diff: linkDiff('a/b/link', '../../../etc/hosts', '../shared'), rule: 'symlink-escapes-repo' },
    { name: 'a target inside .git', diff: linkDiff('public/config', '../.git/config'), rule: 'symlink-sensitive' },
    { name: 'a git hook', diff: linkDiff('scripts/hook', '../.git/hooks/pre-commit'), rule: 'symlink-sensitive' },
    { name: 'an env file', diff: linkDiff('public/env.txt', '../.env'), rule: 'symlink-sensitive' },
    { name: 'an env file for one environment', diff: linkDiff('static/prod', '../.env.production'), rule: 'symlink-sensitive' },
    { name: 'a private key', diff: linkDiff('public/cert', '../certs/server.key'), rule: 'symlink-sensitive' },
    { name: 'an SSH key in the tree', diff: linkDiff('www/k', '../deploy/id_ed25519'), rule: 'symlink-sensitive' },
    { name: 'a cloud credentials file', diff: linkDiff('www/c', '../gcp/credentials.json'), rule: 'symlink-sensitive' },
    { name: 'a link in vendored code', diff: linkDiff('node_modules/pkg/data', '/etc/shadow'), rule: 'symlink-absolute' },
    { name: 'a link inside the repository', diff: linkDiff('config/current', 'production.json') },
    { name: 'a link up to a sibling directory', diff: linkDiff('apps/web/shared', '../../libs/shared') },
    { name: 'a link to exactly the root', diff: linkDiff('a/b/root', '../..') },
    { name: 'a link with ./ and // segments', diff: linkDiff('a/link', './/b/./c') },
    { name: 'a link to an env example', diff: linkDiff('docs/env', '../.env.example') },
    { name: 'a link to .gitignore (not .git/)', diff: linkDiff('docs/ignore', '../.gitignore') },
    { name: 'a link retargeted inside the repository', diff: linkDiff('config/current', 'staging.json', 'production.json') },
    { name: 'a regular file whose content is an absolute path', diff: fileDiff('config/path.txt', { add: ['/etc/passwd'] }) },
    { name: 'a regular file whose content climbs', diff: fileDiff('notes.txt', { add: ['../../outside.txt'] }) },
    { name: 'a removed link', diff: [
      'diff --git a/old b/old', 'deleted file mode 120000', 'index 1111111..0000000', '--- a/old', '+++ /dev/null',
      '@@ -1 +0,0 @@', '-/etc/passwd', '\\ No newline at end of file', ''].join('\n') },
  ];
  for (const { name, diff, rule } of cases) {
    it(`${rule ? `fires ${rule} on` : 'ignores'} ${name}`, () => assert.deepEqual(rules('unsafeSymlink', diff), rule ? [rule] : []));
  }

  it('keeps the evidence small: the link, line 1 and the target, capped', () => {
    const long = `/${'x'.repeat(500)}`;
    const [one, two] = findings(linkDiff('config/passwd', '/etc/passwd'), linkDiff('deep', long)).unsafeSymlink;
    assert.deepEqual(one, { file: 'config/passwd', line: 1, rule: 'symlink-absolute', excerpt: '/etc/passwd' });
    assert.ok((two?.excerpt.length ?? 0) <= 160, `excerpt of ${two?.excerpt.length} chars`);
  });
});

describe('detectChange', () => {
  it('skips vendored code and caps each list', () => {
    const vendored = fileDiff('vendor/github.com/x/migrate/migrations/1.sql', { add: ['CREATE TABLE t (id int);'] });
    assert.deepEqual(findings(vendored), { schemaChange: [], newIntegration: [], secret: [], apiBreaking: [], unsafeSymlink: [] });
    const many = Array.from({ length: 30 }, (_, i) => fileDiff(`migrations/${i}_x.sql`, { add: [`CREATE TABLE t${i} (id int);`] }));
    assert.equal(findings(...many).schemaChange.length, 20);
  });

  it('finds nothing in a docs-only change', () => {
    assert.deepEqual(findings(fileDiff('README.md', { del: ['Teh app'], add: ['The app'] })), {
      schemaChange: [], newIntegration: [], secret: [], apiBreaking: [], unsafeSymlink: [],
    });
  });
});
