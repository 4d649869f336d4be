using Microsoft.Extensions.Options;

namespace MqttIoT.Hub;

/// <summary>The <c>[Range]</c>/<c>[Required]</c> checks of <see cref="HubOptions"/> and its <c>Mqtt</c> section, source-generated.</summary>
[OptionsValidator]
internal sealed partial class HubOptionsValidator : IValidateOptions<HubOptions>;
