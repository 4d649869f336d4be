using Microsoft.Extensions.Options;

namespace MqttIoT.Gateway.Backends.Simulated;

/// <summary>The <c>[Range]</c>/<c>[Required]</c> checks of <see cref="SimulatedStationOptions"/>, source-generated.</summary>
[OptionsValidator]
internal sealed partial class SimulatedStationOptionsValidator : IValidateOptions<SimulatedStationOptions>;
