//! The sign-in screen the console opens on: user name and password (Enter signs in), or, on a
//! database without users, the form that creates the first administrator. The screen only
//! collects what was typed; the console sends it to the back end, which checks it.

use super::i18n::{Language, Text};
use super::theme;
use crate::service::{Reply, SignInFailure};
use crate::store::SignInError;

#[derive(Debug, Default)]
pub struct SignInForm {
    pub username: String,
    pub password: String,
    pub display_name: String,
    /// The last refusal, shown under the form.
    pub problem: Option<String>,
    /// Waiting for the back end's answer.
    pub pending: bool,
    /// The database has users (`None`: not known yet).
    pub users_exist: Option<bool>,
}

/// What the form asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRequest {
    SignIn {
        username: String,
        password: String,
    },
    CreateAdministrator {
        username: String,
        display_name: String,
        password: String,
    },
}

impl SignInForm {
    /// Takes the sign-in replies: whether users exist, a refusal (worded here), and a
    /// success, which clears the form and is handed on (the console takes the user).
    pub fn on_reply(&mut self, reply: Reply, lang: Language) -> Option<Reply> {
        match reply {
            Reply::UsersExist(exist) => self.users_exist = Some(exist),
            Reply::SignInFailed(failure) => {
                self.pending = false;
                self.problem = Some(match failure {
                    SignInFailure::Refused(SignInError::Wrong) => {
                        Text::SignInWrong.get(lang).to_owned()
                    }
                    SignInFailure::Refused(SignInError::Disabled) => {
                        Text::SignInDisabled.get(lang).to_owned()
                    }
                    SignInFailure::Refused(SignInError::Locked { until_ms }) => format!(
                        "{} {}",
                        Text::SignInLocked.get(lang),
                        crate::clock::vietnam_datetime(until_ms)
                    ),
                    SignInFailure::Refused(SignInError::TokenExpired) => {
                        Text::SignInWrong.get(lang).to_owned()
                    }
                    SignInFailure::Problem(problem) => problem,
                });
            }
            Reply::SignedIn(user) => {
                *self = Self {
                    users_exist: Some(true),
                    ..Self::default()
                };
                return Some(Reply::SignedIn(user));
            }
            other => return Some(other),
        }
        None
    }
}

pub fn sign_in_ui(
    ui: &mut egui::Ui,
    form: &mut SignInForm,
    lang: Language,
) -> Option<SignInRequest> {
    let mut request = None;
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.2);
        ui.heading(Text::AppTitle.get(lang));
        ui.add_space(16.0);
        let first_run = form.users_exist == Some(false);
        if first_run {
            ui.label(Text::FirstAdministrator.get(lang));
        } else {
            ui.label(Text::SignInPrompt.get(lang));
        }
        ui.add_space(8.0);
        let width = 260.0;
        ui.add(
            egui::TextEdit::singleline(&mut form.username)
                .hint_text(Text::UserName.get(lang))
                .desired_width(width),
        );
        if first_run {
            ui.add(
                egui::TextEdit::singleline(&mut form.display_name)
                    .hint_text(Text::FullName.get(lang))
                    .desired_width(width),
            );
        }
        let password = ui.add(
            egui::TextEdit::singleline(&mut form.password)
                .password(true)
                .hint_text(Text::Password.get(lang))
                .desired_width(width),
        );
        let entered = password.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.add_space(8.0);
        let label = if first_run {
            Text::CreateAndSignIn
        } else {
            Text::SignIn
        };
        let clicked = ui
            .add_enabled(!form.pending, egui::Button::new(label.get(lang)))
            .clicked();
        if form.pending {
            ui.spinner();
        }
        if (clicked || entered) && !form.pending && !form.username.is_empty() {
            form.pending = true;
            form.problem = None;
            let password = std::mem::take(&mut form.password);
            request = Some(if first_run {
                SignInRequest::CreateAdministrator {
                    username: form.username.trim().to_owned(),
                    display_name: form.display_name.trim().to_owned(),
                    password,
                }
            } else {
                SignInRequest::SignIn {
                    username: form.username.trim().to_owned(),
                    password,
                }
            });
        }
        if let Some(problem) = &form.problem {
            ui.add_space(8.0);
            theme::warning_strip(ui, problem);
        }
    });
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_worded_here_and_a_success_clears_the_form() {
        let mut form = SignInForm {
            username: "lan".into(),
            password: "sai".into(),
            pending: true,
            ..SignInForm::default()
        };
        let refused = Reply::SignInFailed(SignInFailure::Refused(SignInError::Wrong));
        assert!(form.on_reply(refused, Language::Vietnamese).is_none());
        assert!(!form.pending);
        assert_eq!(
            form.problem.as_deref(),
            Some("Sai tên đăng nhập hoặc mật khẩu")
        );
        let user = crate::store::User {
            username: "lan".into(),
            display_name: "Lò Thị Lan".into(),
            role: crate::domain::Role::Reviewer,
            disabled: false,
        };
        let handed_on = form.on_reply(Reply::SignedIn(user), Language::Vietnamese);
        assert!(matches!(handed_on, Some(Reply::SignedIn(u)) if u.username == "lan"));
        assert!(form.username.is_empty() && form.password.is_empty() && form.problem.is_none());
        assert_eq!(form.users_exist, Some(true));
        let other = form.on_reply(Reply::Library(Vec::new()), Language::Vietnamese);
        assert!(matches!(other, Some(Reply::Library(_))), "not the form's");
    }
}
