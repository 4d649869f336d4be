using Microsoft.Playwright;
using MqttIoT.Dashboard;
using MqttIoT.Tests.Infrastructure;

namespace MqttIoT.Tests.Dashboard;

/// <summary>
/// One system for the dashboard's browser tests: a broker with users (so the dashboard asks for a login), a simulated
/// station of <see cref="Devices"/> devices, a hub, the dashboard on a free port, and one headless Debian chromium
/// (never a browser Playwright downloads) shared by the class; each test opens its own browser context.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const int Devices = 12;
    public const string Chromium = "/usr/bin/chromium";

    public static readonly string[] ChromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];

    public TestEnvironment Env { get; private set; } = null!;
    public DashboardServer Server { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the screenshots go: TestResults/dashboard beside the test assembly.</summary>
    public static string ScreenshotDirectory { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard")).FullName;

    public async Task InitializeAsync()
    {
        Env = await TestEnvironment.StartAsync(o =>
        {
            o.DeviceCount = Devices;
            o.NotifyInterval = TimeSpan.FromMilliseconds(100);
        });
        await Env.StartHubAsync();
        Server = new DashboardServer(new DashboardOptions
        {
            HttpPort = 0, Broker = new() { Port = Env.Port, DefaultTimeout = TimeSpan.FromSeconds(5) },
            PushInterval = TimeSpan.FromMilliseconds(100),
        }, Env.LoggerFactory);
        await Server.StartAsync(Deadline.Token());
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Args = ChromiumArgs, Headless = true });
    }

    /// <summary>A fresh context and page, logged in as the test environment's client user.</summary>
    public async Task<IPage> LoggedInPageAsync(string hash = "#/")
    {
        var page = await NewPageAsync();
        await page.GotoAsync(Server.Url + hash);
        var (user, password) = Env.ClientCredentials;
        await page.FillAsync("#login-user", user!);
        await page.FillAsync("#login-password", password!);
        await page.ClickAsync("#login-button");
        await Assertions.Expect(page.Locator("#access")).ToContainTextAsync("Logged in as", new() { Timeout = 10_000 });
        return page;
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1200, Height = 900 } });
        context.SetDefaultTimeout(10_000);
        return await context.NewPageAsync();
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        if (Env is not null) await Env.DisposeAsync();
    }
}
