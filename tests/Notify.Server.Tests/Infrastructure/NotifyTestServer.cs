using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Notify.Client.Apps;
using Notify.Client.Devices;

namespace Notify.Server.Tests.Infrastructure;

/// <summary>
/// The real server on real Kestrel (loopback, a free port) with a real SQLite file in a temp folder and a
/// fake clock the test moves. One per test, so tests never share state or time.
/// </summary>
public sealed class NotifyTestServer : IAsyncDisposable
{
    public const string AppKey = "app-key-0123456789-0123456789-0123456789";
    public const string OtherAppKey = "other-app-key-0123456789-0123456789-012";
    public const string AdminKey = "admin-key-0123456789-0123456789-01234567";

    public const string DefaultRule = """
        name: default
        ttl: 1h
        steps:
          - to: attention
            via: inApp
            wait: 2m
          - to: best
            via: inApp
            wait: 10m
          - to: best
            via: push
            wait: 15m
        """;

    private readonly Factory _factory;
    private readonly bool _ownsDirectory;

    /// <param name="directory">A folder to reuse (its database and <c>rules/</c>), e.g. to restart on the same data; the caller
    /// owns it and it is not deleted. Without it, a new temp folder is made and deleted at the end.</param>
    /// <param name="time">A clock to share with loopback provider servers (they check token ages against it).</param>
    public NotifyTestServer(IDictionary<string, string?>? settings = null, IDictionary<string, string>? rules = null, string environment = "Testing",
        string? directory = null, FakeTimeProvider? time = null)
    {
        Time = time ?? NewClock();
        _ownsDirectory = directory is null;
        Directory = directory ?? System.IO.Directory.CreateTempSubdirectory("notify-test-").FullName;
        var rulesDir = Path.Combine(Directory, "rules");
        System.IO.Directory.CreateDirectory(rulesDir);
        foreach (var (name, yaml) in rules ?? (_ownsDirectory ? new Dictionary<string, string> { ["default.yaml"] = DefaultRule } : []))
            File.WriteAllText(Path.Combine(rulesDir, name), yaml);
        var config = new Dictionary<string, string?>
        {
            ["Storage:Sqlite:Path"] = DatabasePath,
            ["Rules:Directory"] = rulesDir,
            ["Auth:AdminKeys:0"] = AdminKey,
            ["Auth:Apps:0:Id"] = "default",
            ["Auth:Apps:0:Keys:0"] = AppKey,
            ["Auth:Apps:1:Id"] = "other",
            ["Auth:Apps:1:Keys:0"] = OtherAppKey,
            // Tests move the clock by minutes; a device client pings on the real clock, so the server must
            // not take the fake minutes as missed heartbeats unless a test asks for that.
            ["Realtime:HeartbeatTimeout"] = "1.00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
            // The heuristic ranking unless a test brings a model: the shipped models/response.zip changes with retraining.
            ["Learning:ModelPath"] = Path.Combine(Directory, "models", "response.zip"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;
        _factory = new Factory(config, Time, environment);
        _factory.UseKestrel(0);
        _factory.StartServer();
        BaseAddress = _factory.ClientOptions.BaseAddress;
    }

    public FakeTimeProvider Time { get; }

    /// <summary>The fake clock every test server starts at.</summary>
    public static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));

    public string Directory { get; }

    public string DatabasePath => Path.Combine(Directory, "notify.db");

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _factory.Services;

    public NotifyAppClient App(string key = AppKey) => new(BaseAddress, key);

    public HttpClient Http(string? bearer = null)
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        if (bearer is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return http;
    }

    public NotifyDeviceClient Device(string token) => new(BaseAddress, token);

    /// <summary>Counts rows in a table of the real database file.</summary>
    public long Count(string table)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Reads one value from the real database file.</summary>
    public object? Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        var value = cmd.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (_ownsDirectory)
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    private sealed class Factory(Dictionary<string, string?> config, FakeTimeProvider time, string environment) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment(environment);
            foreach (var (key, value) in config) builder.UseSetting(key, value);
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(time));
        }
    }
}
