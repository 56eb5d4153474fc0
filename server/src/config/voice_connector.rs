//! The options of `server chime voice-connector provision|check` (docs/chime.md, "Voice
//! Connector"); the commands themselves are `crate::chime::voice_connector`.

#[derive(clap::Subcommand, Debug)]
pub enum VoiceConnectorCommand {
    /// Create or update the Voice Connector as the app needs it (changes nothing when all is
    /// in place)
    ///
    /// In order: the caller ID (SOFTPHONE_CALLER_ID) and each --number checked in the account's
    /// inventory; the connector, encryption required; the numbers associated; termination
    /// (the calling regions, the gateway's address as the only allowed source, calls per
    /// second, the caller ID as the default number); termination credentials (generated once,
    /// written to --credentials-file, never shown); SIP message and media metric logs.
    /// docs/chime.md, "Voice Connector".
    Provision(VoiceConnectorProvisionArgs),
    /// List every difference between the Voice Connector and what the app needs (exit status
    /// 1 if there is any)
    ///
    /// Reads only: encryption, calling regions, the gateway's address in the allow-list, calls
    /// per second, the default number, credentials (for SOFTPHONE_TRUNK_USERNAME if set),
    /// logging, the numbers' association. Exit status 0 if all is as needed, 1 otherwise.
    Check(VoiceConnectorArgs),
}

/// What the Voice Connector must be (both commands).
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct VoiceConnectorArgs {
    /// The Voice Connector's name (a later run finds it by this name)
    #[arg(
        long,
        env = "SOFTPHONE_VOICE_CONNECTOR_NAME",
        default_value = "softphone"
    )]
    pub name: String,
    /// The AWS Region the Voice Connector lives in
    #[arg(
        long,
        env = "SOFTPHONE_VOICE_CONNECTOR_REGION",
        default_value = "us-east-1"
    )]
    pub region: String,
    /// The gateway's public IPv4 address (its Elastic IP), the only source allowed to call
    /// (as address/32); repeat it, or separate with commas, for more than one gateway
    #[arg(
        long = "gateway-address",
        env = "SOFTPHONE_VOICE_CONNECTOR_GATEWAY_ADDRESS",
        value_name = "IP",
        value_delimiter = ','
    )]
    pub gateway_addresses: Vec<String>,
    /// The countries calls may go to: PA, SG or both (never wider than the dialling policy)
    #[arg(
        long,
        env = "SOFTPHONE_VOICE_CONNECTOR_CALLING_REGIONS",
        value_name = "PA,SG",
        value_delimiter = ',',
        default_value = "PA,SG"
    )]
    pub calling_regions: Vec<String>,
    /// The most calls per second the connector takes
    #[arg(long, env = "SOFTPHONE_VOICE_CONNECTOR_CPS_LIMIT", default_value_t = 1)]
    pub cps_limit: i32,
    /// Another of the account's PA/SG numbers to associate besides the caller ID (repeat it,
    /// or separate with commas)
    #[arg(
        long = "number",
        env = "SOFTPHONE_VOICE_CONNECTOR_NUMBERS",
        value_name = "E164",
        value_delimiter = ',',
        value_parser = super::telephony::e164
    )]
    pub numbers: Vec<String>,
}

#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct VoiceConnectorProvisionArgs {
    #[command(flatten)]
    pub connector: VoiceConnectorArgs,
    /// The dotenv file the server reads the credentials from (SOFTPHONE_TRUNK_USERNAME and
    /// SOFTPHONE_TRUNK_PASSWORD are set in it, other lines kept; mode 0600)
    #[arg(
        long,
        env = "SOFTPHONE_VOICE_CONNECTOR_CREDENTIALS_FILE",
        value_name = "PATH",
        default_value = ".env"
    )]
    pub credentials_file: std::path::PathBuf,
    /// Make a new termination password even if the connector and the file already agree
    #[arg(long)]
    pub rotate_credentials: bool,
    /// Show what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
}
