//! Every UI string, in English, Spanish and Simplified Chinese. One mechanism: a key enum and
//! a table, checked by the compiler (a missing translation does not build).
//!
//! Each language is one text, a NUL after each string in key order, cut into a table on first
//! use. English is always in the module; in the split browser bundle Spanish and Chinese are each
//! its own lazy module, out of the first load: the page loads the chosen language's module
//! before it hydrates, and the settings before they switch ([`load`]). Until then, or when the
//! module cannot be fetched, the strings are English (docs/bench.md, "First load").

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    En,
    Es,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Es, Lang::Zh];

    /// BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Zh => "zh-Hans",
        }
    }

    /// The language's own name, for the picker.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
            Lang::Zh => "简体中文",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "es" => Some(Lang::Es),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut tags: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                Some((q, tag))
            })
            .collect();
        tags.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        tags.into_iter().find_map(|(_, tag)| Lang::from_tag(tag))
    }
}

macro_rules! messages {
    ($($key:ident => $en:literal, $es:literal, $zh:literal;)*) => {
        /// A UI string.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum T { $($key),* }

        impl T {
            pub const ALL: &'static [T] = &[$(T::$key),*];
        }

        const ENGLISH: &str = concat!($($en, "\0"),*);
        const SPANISH: &str = concat!($($es, "\0"),*);
        const CHINESE: &str = concat!($($zh, "\0"),*);
    };
}

/// The string for `key` in `lang` (English while `lang`'s strings are not loaded).
pub fn t(lang: Lang, key: T) -> &'static str {
    table(lang)
        .and_then(|table| table.get(key as usize).copied())
        .unwrap_or_else(|| english(key))
}

type Table = std::sync::OnceLock<Vec<&'static str>>;
static ENGLISH_TABLE: Table = Table::new();
static SPANISH_TABLE: Table = Table::new();
static CHINESE_TABLE: Table = Table::new();

fn cell(lang: Lang) -> Option<&'static Table> {
    match lang {
        Lang::En => None,
        Lang::Es => Some(&SPANISH_TABLE),
        Lang::Zh => Some(&CHINESE_TABLE),
    }
}

/// English, always at hand: one text cut into a table on first use, like the others (a `match`
/// compiles to a table of every string's address and length: 3 KB more in the first load).
fn english(key: T) -> &'static str {
    ENGLISH_TABLE
        .get_or_init(|| cut(ENGLISH))
        .get(key as usize)
        .copied()
        .unwrap_or_default()
}

fn cut(text: &'static str) -> Vec<&'static str> {
    text.split_terminator('\0').collect()
}

/// Without the split bundle the texts are in this module: cut on first use.
#[cfg(not(all(feature = "split", feature = "hydrate")))]
fn table(lang: Lang) -> Option<&'static [&'static str]> {
    let text = match lang {
        Lang::En => return None,
        Lang::Es => SPANISH,
        Lang::Zh => CHINESE,
    };
    cell(lang).map(|cell| cell.get_or_init(|| cut(text)).as_slice())
}

#[cfg(all(feature = "split", feature = "hydrate"))]
fn table(lang: Lang) -> Option<&'static [&'static str]> {
    cell(lang)?.get().map(Vec::as_slice)
}

/// Makes `lang`'s strings available to [`t`]: at once, except in the split browser bundle,
/// where it fetches the language's module the first time (a failed fetch leaves English).
pub async fn load(lang: Lang) {
    #[cfg(all(feature = "split", feature = "hydrate"))]
    {
        let Some(cell) = cell(lang) else {
            return;
        };
        if cell.get().is_some() {
            return;
        }
        let text = match lang {
            Lang::En => return,
            Lang::Es => lazy::spanish().await,
            Lang::Zh => lazy::chinese().await,
        };
        match text {
            Ok(text) => {
                let _ = cell.set(cut(text));
            }
            Err(_) => leptos::logging::warn!("the {} strings could not be loaded", lang.tag()),
        }
    }
    #[cfg(not(all(feature = "split", feature = "hydrate")))]
    let _ = lang;
}

/// Each language's text is named only here, so wasm-split moves it into that module.
#[cfg(all(feature = "split", feature = "hydrate"))]
mod lazy {
    use leptos::wasm_split::SplitLoaderError;

    #[leptos::wasm_split::wasm_split(softphone_spanish, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn spanish() -> Result<&'static str, SplitLoaderError> {
        Ok(super::SPANISH)
    }

    #[leptos::wasm_split::wasm_split(softphone_chinese, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn chinese() -> Result<&'static str, SplitLoaderError> {
        Ok(super::CHINESE)
    }
}

/// A UI string's key, of the main table ([`T`]) or of an area's ([`area_messages!`]).
pub trait Text: Copy + Send + Sync + 'static {
    fn text(self, lang: Lang) -> &'static str;
}

impl Text for T {
    fn text(self, lang: Lang) -> &'static str {
        t(lang, self)
    }
}

/// The strings only one lazily loaded area shows (the admin page's): a key enum and the three
/// languages as code, named only by that area's code, so in the split browser bundle all of it
/// is in that area's module and none of it in the first load, which [`T`]'s English is
/// (docs/bench.md, "First load").
macro_rules! area_messages {
    ($name:ident { $($key:ident => $en:literal, $es:literal, $zh:literal;)* }) => {
        /// A UI string of this area.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($key),* }

        impl $name {
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$key),*];
        }

        impl $crate::i18n::Text for $name {
            fn text(self, lang: $crate::i18n::Lang) -> &'static str {
                match lang {
                    $crate::i18n::Lang::En => match self { $($name::$key => $en),* },
                    $crate::i18n::Lang::Es => match self { $($name::$key => $es),* },
                    $crate::i18n::Lang::Zh => match self { $($name::$key => $zh),* },
                }
            }
        }
    };
}
pub(crate) use area_messages;

/// `t` with `{name}` placeholders filled in.
pub fn tf(lang: Lang, key: impl Text, args: &[(&str, &str)]) -> String {
    let mut text = key.text(lang).to_string();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

messages! {
    AppName => "Softphone", "Softphone", "软电话";
    SkipToContent => "Skip to content", "Saltar al contenido", "跳到内容";
    MainNav => "Main navigation", "Navegación principal", "主导航";
    NavKeypad => "Keypad", "Teclado", "拨号";
    NavRecents => "Recents", "Recientes", "最近通话";
    NavContacts => "Contacts", "Contactos", "联系人";
    NavSettings => "Settings", "Ajustes", "设置";
    Loading => "Loading…", "Cargando…", "加载中…";
    NotFoundTitle => "Page not found", "Página no encontrada", "找不到页面";
    GoHome => "Go to the keypad", "Ir al teclado", "前往拨号";

    SignInTitle => "Sign in", "Iniciar sesión", "登录";
    SignUpTitle => "Create account", "Crear cuenta", "创建账户";
    Email => "Email", "Correo electrónico", "电子邮件";
    Password => "Password", "Contraseña", "密码";
    ConfirmPassword => "Confirm password", "Confirmar contraseña", "确认密码";
    SignInButton => "Sign in", "Iniciar sesión", "登录";
    SignUpButton => "Create account", "Crear cuenta", "创建账户";
    NoAccount => "No account yet?", "¿Aún no tiene cuenta?", "还没有账户？";
    HaveAccount => "Already have an account?", "¿Ya tiene cuenta?", "已有账户？";
    ForgotLink => "Forgot password?", "¿Olvidó su contraseña?", "忘记密码？";
    ForgotTitle => "Reset password", "Restablecer contraseña", "重置密码";
    SendCode => "Send reset code", "Enviar código", "发送重置码";
    ResetCode => "Reset code", "Código de restablecimiento", "重置码";
    NewPassword => "New password", "Nueva contraseña", "新密码";
    SetPassword => "Set new password", "Guardar nueva contraseña", "设置新密码";
    CodeFromAdministrator => "On this installation your administrator resets passwords: ask them for a reset link (it opens this form with the code filled in), or enter the code they gave you below.", "En esta instalación el administrador restablece las contraseñas: pídale un enlace de restablecimiento (abre este formulario con el código ya puesto) o introduzca abajo el código que le dio.", "在此安装中由管理员重置密码：请向管理员索取重置链接（打开此表单并自动填入重置码），或在下方输入管理员给您的重置码。";
    CodeSentEmail => "If an account exists for this email, we have sent it a reset code.", "Si existe una cuenta con este correo, le hemos enviado un código.", "如果该邮箱有账户，我们已向其发送重置码。";
    PasswordChanged => "Password changed. Sign in with your new password.", "Contraseña cambiada. Inicie sesión con la nueva.", "密码已更改。请用新密码登录。";
    ConfirmTitle => "Confirm your email", "Confirme su correo", "确认您的邮箱";
    ConfirmCodeSent => "We sent a confirmation code to", "Enviamos un código de confirmación a", "我们已将确认码发送至";
    ConfirmationCode => "Confirmation code", "Código de confirmación", "确认码";
    ConfirmButton => "Confirm and sign in", "Confirmar e iniciar sesión", "确认并登录";
    ResendCode => "Send a new code", "Enviar un código nuevo", "重新发送确认码";
    CodeResent => "A new code is on its way to", "Un código nuevo va en camino a", "新的确认码已发送至";
    ErrNotConfirmed => "This account is not confirmed yet: enter the code we emailed you.", "Esta cuenta aún no está confirmada: introduzca el código que le enviamos.", "此账户尚未确认：请输入我们通过邮件发送的确认码。";
    ErrInvalidConfirmationCode => "The confirmation code is wrong or has expired. Send a new one.", "El código de confirmación es incorrecto o ha caducado. Pida uno nuevo.", "确认码错误或已过期，请重新发送。";
    ErrPasswordResetRequired => "A new password is required for this account: use “Forgot password”.", "Esta cuenta necesita una contraseña nueva: use «¿Olvidó su contraseña?».", "此账户需要设置新密码：请使用“忘记密码”。";
    BackToSignIn => "Back to sign in", "Volver a iniciar sesión", "返回登录";
    Working => "Please wait…", "Espere…", "请稍候…";
    PasswordRules => "The password needs:", "La contraseña necesita:", "密码需要：";
    RuleLength => "at least 8 characters", "al menos 8 caracteres", "至少 8 个字符";
    RuleTooLong => "at most 256 characters", "como máximo 256 caracteres", "最多 256 个字符";
    RuleLower => "a lower-case letter", "una minúscula", "一个小写字母";
    RuleUpper => "an upper-case letter", "una mayúscula", "一个大写字母";
    RuleDigit => "a digit", "un dígito", "一个数字";
    RuleSymbol => "a symbol such as ! @ # $", "un símbolo como ! @ # $", "一个符号，如 ! @ # $";
    RuleEdgeSpace => "no space at the start or end", "sin espacios al principio ni al final", "开头和结尾不能有空格";

    ErrNotSignedIn => "Your session has ended. Sign in again.", "Su sesión ha terminado. Inicie sesión de nuevo.", "会话已结束，请重新登录。";
    ErrInvalidCredentials => "Wrong email or password.", "Correo o contraseña incorrectos.", "邮箱或密码错误。";
    ErrTooManyAttempts => "Too many attempts. Try again in {minutes} min.", "Demasiados intentos. Inténtelo en {minutes} min.", "尝试次数过多。请在 {minutes} 分钟后重试。";
    ErrInvalidEmail => "Enter a valid email address.", "Introduzca un correo válido.", "请输入有效的电子邮件地址。";
    ErrWeakPassword => "The password does not meet the rules.", "La contraseña no cumple las reglas.", "密码不符合规则。";
    ErrPasswordsDiffer => "The passwords do not match.", "Las contraseñas no coinciden.", "两次输入的密码不一致。";
    ErrEmailTaken => "Could not sign you in. If this email already has an account, sign in with its password or reset the password.", "No se pudo iniciar sesión. Si este correo ya tiene una cuenta, inicie sesión con su contraseña o restablézcala.", "无法登录。如果该邮箱已有账户，请用其密码登录或重置密码。";
    ErrInvalidResetCode => "The reset code is wrong or has expired.", "El código es incorrecto o ha caducado.", "重置码错误或已过期。";
    ErrBadCursor => "The list changed; reload it from the start.", "La lista cambió; vuelva a cargarla desde el principio.", "列表已变化，请从头重新加载。";
    ErrAppNotOpen => "Open the softphone (signed in) to place calls from other apps.", "Abra el softphone (con la sesión iniciada) para llamar desde otras aplicaciones.", "请先打开软电话（已登录），才能从其他应用拨打电话。";
    ErrNotFound => "Not found. It may have been deleted.", "No encontrado. Puede que se haya eliminado.", "未找到，可能已被删除。";
    ErrConflict => "This was changed elsewhere. Reload and try again.", "Se cambió en otro lugar. Recargue e inténtelo de nuevo.", "已在别处更改。请刷新后重试。";
    ErrFileTooLarge => "The file is too large (limit 2 MB).", "El archivo es demasiado grande (límite 2 MB).", "文件太大（上限 2 MB）。";
    ErrFileUnreadable => "The file cannot be read:", "No se puede leer el archivo:", "无法读取文件：";
    ErrCallingUnavailable => "Calling is not available on this server right now.", "Las llamadas no están disponibles en este servidor en este momento.", "此服务器目前无法拨打电话。";
    ErrCallInProgress => "You already have a call in progress.", "Ya tiene una llamada en curso.", "您已有一通正在进行的通话。";
    ErrNotOnACall => "You can transfer a call while you are on one.", "Puede transferir una llamada mientras está en ella.", "您只能在通话中转接电话。";
    ErrServiceBusy => "All lines are in use. Try again in {seconds} s.", "Todas las líneas están ocupadas. Inténtelo en {seconds} s.", "所有线路都在使用中。请在 {seconds} 秒后重试。";
    ErrDailyMinutesUsed => "You have used your calling minutes for the last 24 hours. More are free in {time} (h:mm).", "Ha usado sus minutos de llamada de las últimas 24 horas. Tendrá más en {time} (h:mm).", "您已用完过去 24 小时的通话分钟数。{time}（时:分）后可再拨打。";
    ErrCallsBlocked => "Calling is paused on your account because of unusual calling (many short calls, consecutive numbers or many new numbers). Ask an administrator to lift the block.", "Las llamadas de su cuenta están en pausa por un uso inusual (muchas llamadas cortas, números consecutivos o muchos números nuevos). Pida a un administrador que levante el bloqueo.", "由于异常呼叫（大量短通话、连续号码或大量新号码），您的账户已暂停呼叫。请联系管理员解除。";
    ErrAwaitingApproval => "Your account is waiting for an administrator's approval. You can call once it is approved.", "Su cuenta está esperando la aprobación de un administrador. Podrá llamar en cuanto la apruebe.", "您的账户正在等待管理员批准。批准后即可呼叫。";
    ErrAccountDisabled => "This account has been disabled by an administrator. Ask an administrator to enable it again.", "Un administrador ha desactivado esta cuenta. Pida a un administrador que la vuelva a activar.", "此账户已被管理员停用。请联系管理员重新启用。";
    ErrSignUpDomainNotAllowed => "Sign-up here is only for email addresses of the organisation's domains. Ask an administrator.", "El registro aquí es solo para direcciones de correo de los dominios de la organización. Pregunte a un administrador.", "此处仅限本组织域名的邮箱注册。请联系管理员。";
    ErrInvitationRequired => "Sign-up here needs an invitation. Open the invitation link an administrator gave you, or ask one for it.", "El registro aquí requiere una invitación. Abra el enlace de invitación que le dio un administrador, o pídale uno.", "此处注册需要邀请。请打开管理员给您的邀请链接，或向管理员索取。";
    ErrTooManyCallAttempts => "Too many call attempts. Try again in {seconds} s.", "Demasiados intentos de llamada. Inténtelo en {seconds} s.", "呼叫尝试过多。请在 {seconds} 秒后重试。";
    ErrAdminOnly => "Only administrators can do this.", "Solo los administradores pueden hacer esto.", "只有管理员可以执行此操作。";
    ErrOwnAccount => "You cannot disable your own account.", "No puede desactivar su propia cuenta.", "您不能停用自己的账户。";
    ErrPeriodInvalid => "Choose a period of at most 366 days, its start before its end.", "Elija un periodo de 366 días como máximo, con el inicio antes del final.", "请选择不超过 366 天的时段，开始日期须早于结束日期。";
    ErrSubRequired => "Give the user's sub: e-mails are looked up only with the built-in sign-in.", "Indique el sub del usuario: los correos solo se buscan con el inicio de sesión integrado.", "请输入用户的 sub：仅内置登录可按电子邮件查找。";
    ErrWholeNumber => "Enter a whole number, or leave it empty.", "Introduzca un número entero o déjelo vacío.", "请输入整数，或留空。";
    NavAdmin => "Admin", "Admin", "管理";
    AdminTitle => "Administration", "Administración", "管理";
    ErrNumberSettingsInvalid => "Check the number's settings:", "Revise la configuración del número:", "请检查号码设置：";
    ErrUnavailable => "The service is unavailable. Try again shortly.", "El servicio no está disponible. Inténtelo en breve.", "服务暂不可用，请稍后重试。";
    ErrRequest => "Could not reach the server. Check your connection.", "No se pudo contactar con el servidor. Revise su conexión.", "无法连接服务器，请检查网络。";
    ErrContactInvalid => "Please fix the marked fields.", "Corrija los campos marcados.", "请修正标出的字段。";

    ReasonEmpty => "Enter a number.", "Introduzca un número.", "请输入号码。";
    ReasonNotANumber => "That is not a phone number: use digits, spaces and + only.", "Eso no es un número de teléfono: use solo dígitos, espacios y +.", "这不是电话号码：只能使用数字、空格和 +。";
    ReasonNeedsCountry => "Choose a country, or start with +507 or +65.", "Elija un país o empiece con +507 o +65.", "请选择国家，或以 +507 或 +65 开头。";
    ReasonInvalidCountryCode => "No country uses this country code.", "Ningún país usa este código.", "没有国家使用此国家代码。";
    ReasonOtherCountry => "Only numbers in Panama (+507) and Singapore (+65) can be called.", "Solo se puede llamar a números de Panamá (+507) y Singapur (+65).", "只能拨打巴拿马 (+507) 和新加坡 (+65) 的号码。";
    ReasonShortCode => "Short codes and service numbers cannot be dialled.", "No se pueden marcar códigos cortos ni números de servicio.", "不能拨打短号码和服务号码。";
    ReasonTooShort => "Too short for a number in {country}.", "Demasiado corto para un número de {country}.", "对于{country}号码太短。";
    ReasonTooLong => "Too long for a number in {country}.", "Demasiado largo para un número de {country}.", "对于{country}号码太长。";
    ReasonInvalid => "Not a valid number in {country}.", "No es un número válido de {country}.", "不是有效的{country}号码。";
    ReasonPremiumRate => "Premium-rate numbers cannot be dialled.", "No se pueden marcar números de tarificación adicional.", "不能拨打付费号码。";
    ReasonTollFree => "Toll-free numbers cannot be dialled from here.", "Los números gratuitos no se pueden marcar desde aquí.", "不能从这里拨打免费电话。";
    ReasonSharedCost => "Shared-cost numbers cannot be dialled.", "No se pueden marcar números de coste compartido.", "不能拨打分摊费用号码。";
    ReasonUan => "Universal access numbers cannot be dialled.", "No se pueden marcar números de acceso universal.", "不能拨打统一接入号码。";
    ReasonVoip => "VoIP numbers cannot be dialled.", "No se pueden marcar números VoIP.", "不能拨打 VoIP 号码。";
    KindMobile => "Mobile", "Móvil", "手机";
    KindFixedLine => "Landline", "Fijo", "固定电话";
    Panama => "Panama", "Panamá", "巴拿马";
    Singapore => "Singapore", "Singapur", "新加坡";

    PhoneNumber => "Phone number", "Número de teléfono", "电话号码";
    Country => "Country", "País", "国家";
    Call => "Call", "Llamar", "呼叫";
    Backspace => "Delete digit (hold to clear)", "Borrar dígito (mantener para borrar todo)", "删除一位（长按清空）";
    KeypadHint => "Type, paste or tap a number.", "Escriba, pegue o marque un número.", "输入、粘贴或点按号码。";
    RecallHint => "Press Call to bring back {number}.", "Pulse Llamar para recuperar {number}.", "按呼叫可找回 {number}。";
    Calling => "Checking…", "Comprobando…", "正在检查…";
    Dialpad => "Dial pad", "Teclado numérico", "拨号盘";
    ZeroPlus => "0, hold for +", "0, mantener para +", "0，长按输入 +";

    RecentsTitle => "Recents", "Recientes", "最近通话";
    FilterAll => "All", "Todas", "全部";
    FilterAnswered => "Answered", "Contestadas", "已接通";
    FilterNotAnswered => "Not answered", "No contestadas", "未接通";
    FilterFailed => "Failed", "Fallidas", "失败";
    SearchCalls => "Search calls", "Buscar llamadas", "搜索通话";
    NoCalls => "No calls yet", "Aún no hay llamadas", "暂无通话";
    NoCallsHint => "Calls you make will appear here.", "Las llamadas que haga aparecerán aquí.", "您拨打的电话将显示在这里。";
    NoMatches => "Nothing matches your search.", "Nada coincide con su búsqueda.", "没有匹配的结果。";
    LoadMore => "Load more", "Cargar más", "加载更多";
    CallBack => "Call back", "Devolver llamada", "回拨";
    EndCompleted => "Completed", "Completada", "已完成";
    EndCancelled => "Cancelled", "Cancelada", "已取消";
    EndBusy => "Busy", "Ocupado", "忙线";
    EndNoAnswer => "No answer", "Sin respuesta", "无人接听";
    EndNotFound => "Number does not exist", "El número no existe", "号码不存在";
    EndRefused => "Refused", "Rechazada", "被拒绝";
    EndFailed => "Failed", "Fallida", "失败";
    EndMissed => "Missed", "Perdida", "未接";
    EndTransferred => "Transferred", "Transferida", "已转接";
    TransferredTo => "Transferred to", "Transferida a", "已转接给";
    TransferredFrom => "Transferred from", "Transferida de", "转接自";
    EndInterrupted => "Interrupted", "Interrumpida", "已中断";
    EndNoResponse => "The phone network did not respond. Try again in a minute.", "La red telefónica no respondió. Vuelva a intentarlo en un minuto.", "电话网络无响应。请一分钟后再试。";
    InProgress => "In progress", "En curso", "进行中";

    ContactsTitle => "Contacts", "Contactos", "联系人";
    NewContact => "New contact", "Nuevo contacto", "新建联系人";
    EditContact => "Edit contact", "Editar contacto", "编辑联系人";
    SearchContacts => "Search name, number or company", "Buscar nombre, número o empresa", "搜索姓名、号码或公司";
    Favourites => "Favourites", "Favoritos", "收藏";
    NoContacts => "No contacts yet", "Aún no hay contactos", "暂无联系人";
    NoContactsHint => "Add one, or import a vCard or CSV file.", "Añada uno o importe un archivo vCard o CSV.", "新建一个，或导入 vCard 或 CSV 文件。";
    Import => "Import", "Importar", "导入";
    ImportFile => "Import contacts from a .vcf or .csv file", "Importar contactos de un archivo .vcf o .csv", "从 .vcf 或 .csv 文件导入联系人";
    ExportVcf => "Export vCard", "Exportar vCard", "导出 vCard";
    ExportCsv => "Export CSV", "Exportar CSV", "导出 CSV";
    ImportResult => "{imported} imported, {skipped} skipped.", "{imported} importados, {skipped} omitidos.", "已导入 {imported} 个，跳过 {skipped} 个。";
    Row => "Row", "Fila", "行";
    Name => "Name", "Nombre", "姓名";
    Company => "Company", "Empresa", "公司";
    Notes => "Notes", "Notas", "备注";
    Numbers => "Numbers", "Números", "号码";
    AddNumber => "Add number", "Añadir número", "添加号码";
    RemoveNumber => "Remove number", "Quitar número", "移除号码";
    Favourite => "Favourite", "Favorito", "收藏";
    Save => "Save", "Guardar", "保存";
    Cancel => "Cancel", "Cancelar", "取消";
    Edit => "Edit", "Editar", "编辑";
    Delete => "Delete", "Eliminar", "删除";
    Deleted => "Contact deleted.", "Contacto eliminado.", "联系人已删除。";
    Undo => "Undo", "Deshacer", "撤销";
    Restored => "Contact restored.", "Contacto restaurado.", "联系人已恢复。";
    Saved => "Saved.", "Guardado.", "已保存。";
    LabelMobile => "Mobile", "Móvil", "手机";
    LabelWork => "Work", "Trabajo", "工作";
    LabelHome => "Home", "Casa", "住宅";
    LabelOther => "Other", "Otro", "其他";
    Label => "Label", "Etiqueta", "标签";
    NameRequired => "Enter a name.", "Introduzca un nombre.", "请输入姓名。";
    FieldTooLong => "Too long.", "Demasiado largo.", "太长。";
    NeedNumber => "Add at least one number.", "Añada al menos un número.", "请至少添加一个号码。";
    DuplicateNumber => "This number is already listed.", "Este número ya está en la lista.", "此号码已列出。";
    TooManyNumbers => "At most 10 numbers.", "Como máximo 10 números.", "最多 10 个号码。";
    CallName => "Call {name}", "Llamar a {name}", "呼叫 {name}";
    AddFavourite => "Add to favourites", "Añadir a favoritos", "加入收藏";
    RemoveFavourite => "Remove from favourites", "Quitar de favoritos", "取消收藏";

    Account => "Account", "Cuenta", "账户";
    CallConnecting => "Connecting…", "Conectando…", "正在接通…";
    CallCalling => "Calling…", "Llamando…", "正在呼叫…";
    CallRinging => "Ringing…", "Sonando…", "正在响铃…";
    CallConnected => "Connected", "Conectada", "已接通";
    CallEnding => "Ending…", "Finalizando…", "正在结束…";
    CallEnded => "Call ended", "Llamada finalizada", "通话已结束";
    Mute => "Mute", "Silenciar", "静音";
    MutedNote => "Muted: they cannot hear you.", "Silenciado: no le oyen.", "已静音：对方听不到您。";
    QualityBars => "Call quality: {bars} of 5", "Calidad de la llamada: {bars} de 5", "通话质量：{bars}/5";
    WarnHighRtt => "Long delay: you may talk over each other.", "Mucho retraso: pueden hablar a la vez.", "延迟较高：双方可能同时说话。";
    WarnHighJitter => "Your connection is uneven: audio may break up.", "Su conexión es irregular: el audio puede cortarse.", "网络不稳定：声音可能断续。";
    WarnHighPacketLoss => "Your connection is dropping audio.", "Su conexión está perdiendo audio.", "网络正在丢失音频。";
    WarnLowMos => "The call sounds poor.", "La llamada se oye mal.", "通话音质较差。";
    WarnSilentMicrophone => "Your microphone seems silent.", "Su micrófono parece estar en silencio.", "您的麦克风似乎没有声音。";
    WarnMediaStalled => "No audio is arriving.", "No llega audio.", "没有收到音频。";
    Hold => "Hold", "En espera", "保持";
    Transfer => "Transfer", "Transferir", "转接";
    TransferTo => "Transfer to", "Transferir a", "转接给";
    TransferNoAgents => "No other agent has the app open right now.", "Ningún otro agente tiene la aplicación abierta ahora.", "目前没有其他坐席打开应用。";
    AgentAvailable => "Available", "Disponible", "空闲";
    AgentOnACall => "On a call", "En una llamada", "通话中";
    AgentDoNotDisturb => "Do not disturb", "No molestar", "免打扰";
    TransferRinging => "Transferring to {name}… The caller is on hold.", "Transfiriendo a {name}… La persona que llama está en espera.", "正在转接给 {name}… 对方正在等待。";
    TransferDeclined => "{name} declined. The caller is still on hold: resume to take them back.", "{name} rechazó. La persona que llama sigue en espera: reanude para atenderla.", "{name} 拒绝了。对方仍在等待：恢复通话即可接回。";
    TransferNoAnswer => "{name} did not answer. The caller is still on hold: resume to take them back.", "{name} no respondió. La persona que llama sigue en espera: reanude para atenderla.", "{name} 未接听。对方仍在等待：恢复通话即可接回。";
    TransferBusy => "{name} is busy. The caller is still on hold: resume to take them back.", "{name} está ocupado. La persona que llama sigue en espera: reanude para atenderla.", "{name} 占线。对方仍在等待：恢复通话即可接回。";
    TransferRefused => "The call to {name} was refused. The caller is still on hold: resume to take them back.", "La llamada a {name} fue rechazada. La persona que llama sigue en espera: reanude para atenderla.", "呼叫 {name} 被拒绝。对方仍在等待：恢复通话即可接回。";
    TransferUnreachable => "{name} could not be reached. The caller is still on hold: resume to take them back.", "No se pudo contactar con {name}. La persona que llama sigue en espera: reanude para atenderla.", "无法接通 {name}。对方仍在等待：恢复通话即可接回。";
    TransferAnswered => "Transferred to {name}.", "Transferida a {name}.", "已转接给 {name}。";
    TransferToNumber => "Transfer to a number", "Transferir a un número", "转接到电话号码";
    TransferredCall => "Transferred call", "Llamada transferida", "转接来电";
    TransferredFromColleague => "A colleague is handing this call over to you.", "Un compañero le transfiere esta llamada.", "同事正在把这通电话转给您。";
    TransferConsult => "Consult first", "Consultar antes", "先咨询";
    TransferRingingConsult => "Calling {name} to consult… The caller is on hold.", "Llamando a {name} para consultar… La persona que llama está en espera.", "正在呼叫 {name} 以便咨询… 对方正在等待。";
    TransferConsulting => "Talking to {name} · customer on hold", "Hablando con {name} · cliente en espera", "正在与 {name} 通话 · 客户等待中";
    TransferConsultation => "Consultation", "Consulta", "咨询";
    TransferConnect => "Connect", "Conectar", "接通";
    TransferReturn => "Return to customer", "Volver al cliente", "返回客户";
    TransferHungUp => "{name} hung up. The caller is still on hold: resume to take them back.", "{name} colgó. La persona que llama sigue en espera: reanude para atenderla.", "{name} 已挂断。对方仍在等待：恢复通话即可接回。";
    CallOnHold => "On hold", "En espera", "通话保持中";
    OnHoldNote => "They hear music on hold; you hear nothing until you resume.", "Oyen música de espera; usted no oye nada hasta reanudar.", "对方听到等待音乐；恢复通话前您听不到任何声音。";
    HeldByFarEnd => "The other party put you on hold.", "La otra parte le puso en espera.", "对方已将您保持。";
    ShowKeypad => "Keypad", "Teclado", "键盘";
    EndCall => "End call", "Colgar", "挂断";
    OnCallElsewhere => "This call's audio is in another tab or window.", "El audio de esta llamada está en otra pestaña o ventana.", "此通话的音频在另一个标签页或窗口中。";
    OutputFixed => "Audio plays on the device your system chooses.", "El audio suena en el dispositivo que elige el sistema.", "音频在系统选择的设备上播放。";
    MicBlocked => "Microphone access is blocked. Allow it in the browser's site settings, then try again.", "El acceso al micrófono está bloqueado. Permítalo en la configuración del sitio del navegador e inténtelo de nuevo.", "麦克风访问被阻止。请在浏览器的网站设置中允许后重试。";
    MicMissing => "No microphone found. Connect one and try again.", "No se encontró ningún micrófono. Conecte uno e inténtelo de nuevo.", "未找到麦克风。请连接后重试。";
    MicBusy => "Another app is using the microphone. Close it and try again.", "Otra aplicación está usando el micrófono. Ciérrela e inténtelo de nuevo.", "其他应用正在使用麦克风。请关闭后重试。";
    MicLost => "The microphone was disconnected: they cannot hear you.", "Se desconectó el micrófono: no le oyen.", "麦克风已断开：对方听不到您。";
    MicFailed => "The microphone could not be started:", "No se pudo iniciar el micrófono:", "无法启动麦克风：";
    NoChannel => "Not connected to the server. Reconnecting…", "Sin conexión con el servidor. Reconectando…", "未连接到服务器，正在重新连接…";
    NoWebRtc => "This browser cannot place the call's audio.", "Este navegador no puede establecer el audio de la llamada.", "此浏览器无法建立通话音频。";
    Close => "Close", "Cerrar", "关闭";
    Retry => "Try again", "Reintentar", "重试";
    HideCall => "Hide", "Ocultar", "隐藏";
    ReturnToCall => "Return to call", "Volver a la llamada", "返回通话";
    Speaker => "Speaker or headset", "Altavoz o auriculares", "扬声器或耳机";
    DeviceDefault => "System default", "Predeterminado del sistema", "系统默认";
    MicLevel => "Microphone level", "Nivel del micrófono", "麦克风音量";
    RecordCall => "Record", "Grabar", "录音";
    RecordAsk => "Record this call? They will hear a short beep.", "¿Grabar esta llamada? La otra parte oirá un pitido breve.", "录制此通话？对方会听到一声短促的提示音。";
    NotNow => "Not now", "Ahora no", "暂不";
    PauseRecording => "Pause recording", "Pausar grabación", "暂停录音";
    ResumeRecording => "Resume recording", "Reanudar grabación", "继续录音";
    StopRecording => "Stop recording", "Detener grabación", "停止录音";
    RecLive => "REC", "REC", "录音中";
    RecPaused => "REC paused", "Grabación en pausa", "录音已暂停";
    RecStopped => "Recording stopped", "Grabación detenida", "录音已停止";
    Recording => "Recording", "Grabación", "录音";
    PlayRecording => "Play recording", "Reproducir grabación", "播放录音";
    HideRecording => "Hide recording", "Ocultar grabación", "隐藏录音";
    DownloadRecording => "Download", "Descargar", "下载";
    DeleteRecording => "Delete recording", "Eliminar grabación", "删除录音";
    DeleteRecordingConfirm => "Delete this recording for good? This cannot be undone.", "¿Eliminar esta grabación definitivamente? No se puede deshacer.", "永久删除此录音？此操作无法撤销。";
    RecordingDeleted => "Recording deleted.", "Grabación eliminada.", "录音已删除。";
    CallQualityTitle => "Call quality", "Calidad de la llamada", "通话质量";
    QualityMos => "Sound (MOS, 1 to 4.5): {average} on average, {worst} at worst", "Sonido (MOS, de 1 a 4.5): {average} de media, {worst} en el peor momento", "音质（MOS，1 至 4.5）：平均 {average}，最差 {worst}";
    QualityNetwork => "Packets lost: up to {loss} %. Jitter: up to {jitter} ms. Round trip: up to {rtt} ms.", "Paquetes perdidos: hasta {loss} %. Variación del retardo: hasta {jitter} ms. Ida y vuelta: hasta {rtt} ms.", "丢包：最高 {loss}%。抖动：最高 {jitter} 毫秒。往返时延：最高 {rtt} 毫秒。";
    QualityTrunk => "Phone network's side: {loss} % of its packets lost ({lost} of {expected}), jitter up to {jitter} ms.", "Lado de la red telefónica: {loss} % de sus paquetes perdidos ({lost} de {expected}), variación del retardo hasta {jitter} ms.", "电话网络一侧：丢包 {loss}%（{expected} 个中丢失 {lost} 个），抖动最高 {jitter} 毫秒。";
    QualityWarned => "Warned during the call:", "Avisos durante la llamada:", "通话期间的提示：";
    QualityNoWarning => "No warning during the call.", "Ningún aviso durante la llamada.", "通话期间没有提示。";
    QualityNotMeasured => "Not measured: the call's audio was not connected in this app.", "Sin medir: el audio de la llamada no se conectó en esta aplicación.", "未测量：本应用未接通此通话的音频。";
    RecordingInterrupted => "The server stopped during this call: the recording ends there.", "El servidor se detuvo durante esta llamada: la grabación termina ahí.", "通话期间服务器停止：录音在此处结束。";
    RecordingFacts => "{duration} · {size} · consent notice played", "{duration} · {size} · aviso de consentimiento reproducido", "{duration} · {size} · 已播放录音提示";
    RecordingPauses => "Paused {count}×", "En pausa {count}×", "暂停 {count} 次";
    ChannelThem => "Called party", "Interlocutor", "对方";
    ChannelYou => "You", "Usted", "您";
    Waveform => "Waveform of both channels", "Forma de onda de ambos canales", "两个声道的波形";
    CallDetails => "Call details", "Detalles de la llamada", "通话详情";
    StartedAt => "Started {time}", "Inicio {time}", "开始于 {time}";
    TodayAt => "Today {time}", "Hoy {time}", "今天 {time}";
    YesterdayAt => "Yesterday {time}", "Ayer {time}", "昨天 {time}";
    IncomingCall => "Incoming call", "Llamada entrante", "来电";
    WaitingCall => "Call waiting", "Llamada en espera", "呼叫等待";
    IncomingTo => "to {number}", "a {number}", "拨打 {number}";
    NoCallerId => "No caller ID", "Número oculto", "未显示号码";
    AnswerEndsCurrent => "Answering ends your current call.", "Contestar termina su llamada actual.", "接听将结束您当前的通话。";
    MoreRinging => "{n} more ringing", "{n} más sonando", "还有 {n} 个来电";
    Answer => "Answer", "Contestar", "接听";
    Decline => "Decline", "Rechazar", "拒接";
    IncomingKeys => "Enter answers, Esc declines", "Intro contesta, Esc rechaza", "回车接听，Esc 拒接";
    ConfirmCallTitle => "Call {number}?", "¿Llamar a {number}?", "呼叫 {number}？";
    ConfirmCallFrom => "Another app asked to place this call. The microphone opens only when you press Call.", "Otra aplicación pidió hacer esta llamada. El micrófono solo se abre al pulsar Llamar.", "另一个应用请求拨打此电话。只有在您按下“呼叫”后才会打开麦克风。";
    ErrRecordingInProgress => "The recording is still running. Stop it first.", "La grabación sigue en curso. Deténgala primero.", "录音仍在进行。请先停止。";
    ErrTooManyTokens => "You hold {limit} tokens, the most allowed. Revoke one first.", "Tiene {limit} tokens, el máximo permitido. Revoque uno primero.", "您已持有 {limit} 个令牌，达到上限。请先撤销一个。";
    ErrTokenNameMissing => "Give the token a name.", "Dé un nombre al token.", "请为令牌命名。";
    ErrTokenNoScope => "Choose at least one scope.", "Elija al menos un permiso.", "请至少选择一个权限范围。";

    PushThisDevice => "This device", "Este dispositivo", "此设备";
    ErrPushSubscriptionInvalid => "The browser's push subscription could not be used. Turn notifications off and on again.", "No se pudo usar la suscripción push del navegador. Desactive y vuelva a activar las notificaciones.", "无法使用浏览器的推送订阅。请关闭后重新开启通知。";
    ErrQuietHoursInvalid => "Check the quiet hours: times from 00:00 to 23:59.", "Revise las horas de silencio: horas de 00:00 a 23:59.", "请检查免打扰时段：时间应在 00:00 到 23:59 之间。";
    ErrPushUnavailable => "Push notifications are not set up on this server.", "Las notificaciones push no están configuradas en este servidor.", "此服务器尚未设置推送通知。";
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn placeholders(text: &str) -> Vec<&str> {
        let mut found: Vec<&str> = text
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name))
            .collect();
        found.sort_unstable();
        found
    }

    /// Every key of a table has each language's text, with the same placeholders.
    pub(crate) fn check_translations<K: Text + std::fmt::Debug>(keys: &[K]) {
        for &key in keys {
            assert!(!key.text(Lang::En).trim().is_empty(), "{key:?} empty");
            let english = placeholders(key.text(Lang::En));
            for lang in [Lang::Es, Lang::Zh] {
                let text = key.text(lang);
                assert!(!text.trim().is_empty(), "{key:?} empty in {lang:?}");
                assert_eq!(
                    placeholders(text),
                    english,
                    "{key:?} placeholders differ in {lang:?}"
                );
            }
        }
    }

    #[test]
    fn every_translation_is_present_and_keeps_the_placeholders() {
        check_translations(T::ALL);
    }

    #[test]
    fn each_text_has_one_string_per_key_in_key_order() {
        for (lang, text) in [
            (Lang::En, ENGLISH),
            (Lang::Es, SPANISH),
            (Lang::Zh, CHINESE),
        ] {
            assert_eq!(cut(text).len(), T::ALL.len(), "{lang:?}");
        }
        assert_eq!(t(Lang::En, T::NavContacts), "Contacts");
        assert_eq!(t(Lang::Es, T::AppName), "Softphone");
        assert_eq!(t(Lang::Es, T::NavContacts), "Contactos");
        assert_eq!(t(Lang::Zh, T::NavContacts), "联系人");
        let last = *T::ALL.last().expect("keys");
        assert_eq!(
            t(Lang::Es, last),
            "Las notificaciones push no están configuradas en este servidor."
        );
    }

    #[test]
    fn accept_language_picks_by_quality() {
        assert_eq!(
            Lang::from_accept_language("fr-FR,es-PA;q=0.8,en;q=0.5"),
            Some(Lang::Es)
        );
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9"), Some(Lang::Zh));
        assert_eq!(Lang::from_accept_language("de"), None);
        assert_eq!(tf(Lang::En, T::CallName, &[("name", "Ana")]), "Call Ana");
    }
}
