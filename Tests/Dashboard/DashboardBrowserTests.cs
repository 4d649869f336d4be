using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using MqttIoT.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace MqttIoT.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser (Debian's headless chromium through Playwright) against a real broker, gateway and
/// hub: login, the device table and its search, a write another client reads back, a refused write's code, a plot
/// gaining points from notifications, the events log, the station page, and accessible names and keyboard use.
/// Screenshots of each page land in TestResults/dashboard beside the test assembly.
/// </summary>
public sealed class DashboardBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    [Fact]
    public async Task Login_is_required_when_the_broker_has_users_and_a_wrong_password_is_refused_in_words()
    {
        using (var http = new HttpClient { BaseAddress = fixture.Server.Url })
        {
            var devices = await http.GetAsync("/api/devices");
            devices.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "no session, no fleet");
            var session = JsonDocument.Parse(await http.GetStringAsync("/api/session")).RootElement.GetProperty("data");
            session.GetProperty("mode").GetString().Should().Be("broker", session.ToString());
        }
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.Server.Url.ToString());
        await Expect(page.Locator("#login-form")).ToBeVisibleAsync();
        await DashboardFixture.ScreenshotAsync(page, "login");
        await page.FillAsync("#login-user", fixture.Env.ClientCredentials.User!);
        await page.FillAsync("#login-password", "not-the-password");
        await page.ClickAsync("#login-button");
        await Expect(page.Locator("#login-error")).ToContainTextAsync("UNAUTHORIZED");
        await Expect(page.Locator("#devices")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_device_table_fills_from_the_hub_and_a_search_narrows_it_or_says_why_it_was_refused()
    {
        var page = await fixture.LoggedInPageAsync();
        var rows = page.Locator("#devices tbody tr[data-device]");
        await Expect(rows).ToHaveCountAsync(DashboardFixture.Devices);
        await Expect(page.Locator("#stations tbody")).ToContainTextAsync("sim-1");
        await Expect(page.Locator("#stations tbody")).ToContainTextAsync("online");
        await DashboardFixture.ScreenshotAsync(page, "overview");

        await page.FillAsync("#search", "dev-0003");
        await page.ClickAsync("#search-button");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-device", "dev-0003");

        await page.FillAsync("#search", """{"attributes.index":{"$lte":2}}""");
        await page.ClickAsync("#search-button");
        await Expect(rows).ToHaveCountAsync(2);

        await page.FillAsync("#search", """{"name":{"$regx":"^T"}}""");
        await page.ClickAsync("#search-button");
        await Expect(page.Locator("#search-error")).ToContainTextAsync("unknown operator");

        await page.FillAsync("#search", "");
        await page.ClickAsync("#search-button");
        await Expect(rows).ToHaveCountAsync(DashboardFixture.Devices);
        await page.ClickAsync("th button[data-sort='id']");
        await Expect(rows.First).ToHaveAttributeAsync("data-device", $"dev-{DashboardFixture.Devices:0000}");
    }

    [Fact]
    public async Task A_write_from_the_device_page_is_read_back_by_another_client_and_a_refused_write_shows_its_code()
    {
        var page = await fixture.LoggedInPageAsync("#/device/sim-1/dev-0002");
        await Expect(page.Locator("#keys tbody tr")).ToHaveCountAsync(5);
        await page.SelectOptionAsync("#write-key", "setpoint");
        await page.FillAsync("#write-value", "23.5");
        await page.ClickAsync("#write-button");
        await Expect(page.Locator("#reply")).ToContainTextAsync("WRITE_VALUE setpoint: ok");
        await using var other = await fixture.Env.ConnectClientAsync();
        Encoding.UTF8.GetString(await other.GetDevice("sim-1", "dev-0002").ReadValueAsync("setpoint")).Should().Be("23.5");

        await page.FillAsync("#write-value", "99");
        await page.ClickAsync("#write-button");
        await Expect(page.Locator("#reply")).ToContainTextAsync("WRITE_VALUE setpoint failed: BAD_REQUEST: setpoint must be a number");
        await page.SelectOptionAsync("#write-key", "temperature");
        await page.FillAsync("#write-value", "1");
        await page.ClickAsync("#write-button");
        await Expect(page.Locator("#reply")).ToContainTextAsync("UNSUPPORTED");
        Encoding.UTF8.GetString(await other.GetDevice("sim-1", "dev-0002").ReadValueAsync("setpoint")).Should().Be("23.5", "a refused write changes nothing");

        await page.ClickAsync("button[aria-label='Read setpoint']");
        await Expect(page.Locator("td[data-key='setpoint']")).ToHaveTextAsync("23.5");
        await DashboardFixture.ScreenshotAsync(page, "device");
    }

    [Fact]
    public async Task Notifications_add_points_to_the_plot()
    {
        var page = await fixture.LoggedInPageAsync("#/plot/sim-1/dev-0004/counter");
        await Expect(page.Locator("#plot-note")).ToContainTextAsync("no history");
        await page.ClickAsync("#notify-on");
        // Counter notifications every 100 ms: the plot's count goes past 3 only through NOTIFIED events (no read was made).
        await Expect(page.Locator("main")).ToHaveAttributeAsync("data-points", new System.Text.RegularExpressions.Regex("^([3-9]|[1-9][0-9]+)$"));
        await page.ClickAsync("#zoom-1m");
        await Expect(page.Locator("#zoom-from")).Not.ToHaveValueAsync("");
        await DashboardFixture.ScreenshotAsync(page, "plot");
        await page.ClickAsync("#notify-off");
    }

    [Fact]
    public async Task The_events_log_fills_live_and_pauses_and_the_station_page_acts()
    {
        await using var client = await fixture.Env.ConnectClientAsync();
        await client.GetDevice("sim-1", "dev-0005").EnableNotificationsAsync("temperature");
        var page = await fixture.LoggedInPageAsync("#/events");
        await page.FillAsync("#ev-device", "dev-0005");
        await page.ClickAsync("#ev-filter");
        await Expect(page.Locator("#events tbody tr").First).ToContainTextAsync("NOTIFIED");
        await Expect(page.Locator("#events tbody tr").Filter(new() { HasNotText = "dev-0005" })).ToHaveCountAsync(0);
        await page.ClickAsync("#ev-pause");
        await Expect(page.Locator("#ev-count")).ToContainTextAsync("paused");
        await DashboardFixture.ScreenshotAsync(page, "events");
        await client.GetDevice("sim-1", "dev-0005").DisableNotificationsAsync("temperature");

        await page.GotoAsync(fixture.Server.Url + "#/station/sim-1");
        await Expect(page.Locator("#station-summary")).ToContainTextAsync("online");
        await Expect(page.Locator("#discovered tbody tr")).ToHaveCountAsync(DashboardFixture.Devices);
        await page.ClickAsync("#st-disable");
        await Expect(page.Locator("#station-reply")).ToContainTextAsync("DISABLE_DISCOVERY: ok");
        await Expect(page.Locator("#station-summary")).ToContainTextAsync("discovery disabled");
        await page.ClickAsync("#st-enable");
        await Expect(page.Locator("#station-summary")).ToContainTextAsync("discovery enabled");
        await DashboardFixture.ScreenshotAsync(page, "station");
    }

    [Fact]
    public async Task Every_control_has_an_accessible_name_and_the_search_works_from_the_keyboard()
    {
        var login = await fixture.NewPageAsync();
        await login.GotoAsync(fixture.Server.Url.ToString());
        await Expect(login.Locator("#login-form")).ToBeVisibleAsync();
        (await UnnamedControlsAsync(login)).Should().BeEmpty("on the login form");

        var page = await fixture.LoggedInPageAsync();
        await Expect(page.Locator("#devices tbody tr[data-device]")).ToHaveCountAsync(DashboardFixture.Devices);
        foreach (var (hash, ready) in new[]
        {
            ("#/", "#devices tbody tr[data-device]"), ("#/device/sim-1/dev-0001", "#keys tbody tr"),
            ("#/plot/sim-1/dev-0001/temperature", "#plot"), ("#/events", "#events"), ("#/station/sim-1", "#discovered tbody tr"),
        })
        {
            await page.GotoAsync(fixture.Server.Url + hash);
            await Expect(page.Locator(ready).First).ToBeAttachedAsync();
            (await UnnamedControlsAsync(page)).Should().BeEmpty($"on {hash}");
        }

        // Keyboard only: Tab to the search box, type, Enter.
        await page.GotoAsync(fixture.Server.Url + "#/");
        await Expect(page.Locator("#devices tbody tr[data-device]")).ToHaveCountAsync(DashboardFixture.Devices);
        for (var i = 0; i < 30 && await page.EvaluateAsync<string>("document.activeElement?.id ?? ''") != "search"; i++)
            await page.Keyboard.PressAsync("Tab");
        (await page.EvaluateAsync<string>("document.activeElement?.id ?? ''")).Should().Be("search", "the search box is reachable with Tab");
        await page.Keyboard.TypeAsync("dev-0007");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#devices tbody tr[data-device]")).ToHaveCountAsync(1);
    }

    /// <summary>Buttons, links, text boxes and lists in chromium's own accessibility tree that have no name.</summary>
    private static async Task<List<string>> UnnamedControlsAsync(IPage page)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        var tree = await cdp.SendAsync("Accessibility.getFullAXTree");
        string[] roles = ["button", "link", "textbox", "searchbox", "combobox", "checkbox", "spinbutton", "listbox", "radio", "slider", "img"];
        var unnamed = new List<string>();
        foreach (var node in tree!.Value.GetProperty("nodes").EnumerateArray())
        {
            if (node.TryGetProperty("ignored", out var ignored) && ignored.GetBoolean()) continue;
            var role = node.TryGetProperty("role", out var r) ? r.GetProperty("value").GetString() : null;
            if (role is null || !roles.Contains(role)) continue;
            var name = node.TryGetProperty("name", out var n) && n.TryGetProperty("value", out var v) ? v.GetString() : null;
            if (string.IsNullOrWhiteSpace(name)) unnamed.Add($"{role} (node {node.GetProperty("nodeId").GetString()})");
        }
        await cdp.DetachAsync();
        return unnamed;
    }
}
