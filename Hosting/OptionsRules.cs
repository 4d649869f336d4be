using Microsoft.Extensions.Options;

namespace MqttIoT.Hosting;

/// <summary>
/// Validates an options type at start in two steps: its source-generated <c>[OptionsValidator]</c> (the
/// <c>[Range]</c>/<c>[Required]</c> on each member), then, once every member is in range, the type's own
/// <c>Validate()</c> for the rules between members (which throws <see cref="ArgumentException"/>, as the
/// libraries' constructors do). The second step runs only after the first passed, so one bad value is reported once.
/// </summary>
public sealed class OptionsRules<TOptions>(IValidateOptions<TOptions> attributes, Action<TOptions> validate) : IValidateOptions<TOptions>
    where TOptions : class
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var result = attributes.Validate(name, options);
        if (result.Failed) return result;
        try
        {
            validate(options);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail($"{typeof(TOptions).Name}: {e.Message}");
        }
    }
}
