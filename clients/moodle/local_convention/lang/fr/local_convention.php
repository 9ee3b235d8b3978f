<?php
// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

/**
 * Chaînes françaises du plugin de la convention.
 *
 * @package    local_convention
 * @copyright  2026 Université de Toulouse
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$string['accessrefused'] = 'Accès refusé : {$a}';
$string['accesstimeout'] = 'Délai de la vérification d\'accès (secondes)';
$string['accesstimeout_desc'] = 'Temps qu\'une connexion attend la vérification d\'accès avant d\'appliquer le mode de défaillance (par ex. 2).';
$string['cachedef_token'] = 'Jeton d\'accès au service de la convention';
$string['checkaccess'] = 'Vérifier l\'accès à la connexion';
$string['checkaccess_desc'] = 'Après chaque connexion, demander au service de la convention si le compte peut utiliser la plateforme ; un compte refusé est déconnecté avec le motif. Les administrateurs du site et les invités ne sont jamais vérifiés ; un compte inconnu du service n\'est pas géré par la convention et poursuit.';
$string['clientid'] = 'Identifiant client';
$string['clientid_desc'] = 'Identifiant client OAuth créé sur le service par : convention-api clients create "Moodle" --scope storage:write --scope access:read';
$string['clientsecret'] = 'Secret client';
$string['clientsecret_desc'] = 'Le secret affiché une seule fois par clients create.';
$string['failmode'] = 'Quand le service est injoignable';
$string['failmode_closed'] = 'Fermé : refuser la connexion';
$string['failmode_desc'] = 'Ce que fait une connexion quand la vérification d\'accès n\'obtient pas de réponse à temps. Ouvert (par défaut) laisse entrer et le journalise.';
$string['failmode_open'] = 'Ouvert : accepter la connexion (journalisé)';
$string['mapping'] = 'Catégories de cours des établissements';
$string['mapping_desc'] = 'Une ligne par catégorie : « idcategorie = code_etablissement » (par ex. « 12 = ifms-rodez »). Tout ce qui est sous une catégorie (sous-catégories, cours, activités) appartient à son établissement, sauf une sous-catégorie elle-même associée. Un établissement peut avoir plusieurs catégories.';
$string['mappinginvalid'] = 'Association invalide : {$a}';
$string['pluginname'] = 'Service de la convention';
$string['privacy:metadata:convention_service'] = 'À chaque connexion, l\'identifiant (uid) du compte est envoyé au service de la convention de l\'Université de Toulouse et de la Région Occitanie, qui indique si le compte peut utiliser la plateforme.';
$string['privacy:metadata:convention_service:uid'] = 'L\'identifiant (uid) du compte (nom d\'utilisateur ou numéro d\'identification).';
$string['serviceurl'] = 'URL du service';
$string['serviceurl_desc'] = 'URL de base du service de la convention, par ex. https://convention.univ-toulouse.fr';
$string['taskpushusage'] = 'Envoyer l\'occupation du stockage des établissements au service de la convention';
$string['timeout'] = 'Délai des appels de stockage (secondes)';
$string['timeout_desc'] = 'Temps que la tâche planifiée attend le service (jeton et relevés).';
$string['uidfield'] = 'Champ utilisateur portant l\'uid';
$string['uidfield_desc'] = 'Le champ de l\'utilisateur Moodle qui porte l\'uid du compte dans le service de la convention.';
